import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { appsFileEnv } from '../helpers/apps-file-env.js';
import { pgRows } from '../helpers/pg-rows.js';
import { createTestDatabase } from '../helpers/postgres-server.js';
import { runCli } from './run-cli.js';

// The SQL the documents give PostgreSQL users (docs/postgres.md's examples, README's read-only role for
// psql and Grafana), run as written on a database `wxlog run` filled from the simulator. README's SQLite
// examples are test/cli/readme-examples.test.ts's.

/** The statements of a document's ```sql blocks that are PostgreSQL's: all of them, or those marked `-- PostgreSQL`. */
function postgresStatements(file: string, marked: boolean): string[] {
  const text = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
  return [...text.matchAll(/^```sql\n([\s\S]*?)^```$/gm)]
    .map((m) => m[1] ?? '')
    .filter((block) => !marked || block.startsWith('-- PostgreSQL'))
    .flatMap((block) => block.split(/;\s*$/m))
    .map((sql) => sql.replace(/^--.*$/gm, '').trim())
    .filter((sql) => sql !== '');
}

/** Queries (not the set-up statements beside them, such as CREATE DATABASE). */
const isQuery = (sql: string): boolean => /^(SELECT|WITH)\b/i.test(sql);

let sim: Simulator | undefined;
let url: string;
let dir: string | undefined;

beforeAll(async () => {
  // Ten days asked of a server that serves seven: three days are recorded unavailable, not complete.
  sim = await startSimulator({ appCount: 1, perDay: 150, intervalMs: 1000, servedDays: 7, seed: 41 });
  url = await createTestDatabase(inject('postgresUrl'), 'wxlog_docs');
  dir = mkdtempSync(join(tmpdir(), 'wxlog-pg-docs-'));
  const run = await runCli(['run'], {
    WXLOG_DB: url,
    ...appsFileEnv(sim, dir),
    WXLOG_RATE_INTERVAL_MS: '1000',
    WXLOG_CALLS_PER_MINUTE: '40',
    WXLOG_LOOKBACK_DAYS: '10',
    WXLOG_LOG_LEVEL: 'warn',
  });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
}, 120_000);

afterAll(async () => {
  await sim?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe("docs/postgres.md's example SQL on a database wxlog run filled (subprocess)", () => {
  const statements = postgresStatements('docs/postgres.md', false).filter(isQuery);

  it('has examples to check', () => {
    expect(statements.length).toBeGreaterThanOrEqual(4);
  });

  it.each(statements.map((sql) => [sql.split('\n')[0] ?? sql, sql] as const))('%s … returns rows', async (_f, sql) => {
    expect((await pgRows(url, sql)).length).toBeGreaterThan(0);
  });
});

describe("README's read-only role for psql and Grafana", () => {
  it('reads every table and view, months partitioned later included, and writes nothing', async () => {
    const statements = postgresStatements('README.md', true);
    expect(statements.some((s) => /^CREATE ROLE grafana\b/.test(s))).toBe(true);
    // As the role that owns the tables (the one wxlog connects as): here the test server's superuser.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query('DROP ROLE IF EXISTS grafana');
      for (const sql of statements) await admin.query(sql);
      // A month partition wxlog makes after the grants.
      await admin.query('SELECT wxlog_ensure_month_partition($1)', [Date.UTC(2020, 0, 1) / 1000 - 8 * 3600]);
    } finally {
      await admin.end();
    }
    const asGrafana = new URL(url);
    asGrafana.username = 'grafana';
    const relations = await pgRows<{ name: string }>(
      url,
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'p')`,
    );
    expect(relations.map((r) => r.name)).toEqual(expect.arrayContaining(['log_entries', 'log_lines', 'windows']));
    expect(relations.map((r) => r.name)).toContain('log_entries_p202001');
    for (const { name } of relations)
      await expect(pgRows(asGrafana.toString(), `SELECT count(*) FROM "${name}"`)).resolves.toHaveLength(1);
    const [stored] = await pgRows<{ n: number }>(asGrafana.toString(), 'SELECT count(*) AS n FROM log_lines');
    expect(stored?.n).toBeGreaterThan(0);
    await expect(pgRows(asGrafana.toString(), 'DELETE FROM log_entries')).rejects.toThrow(/permission denied/);
  });
});
