import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The compiled CLI: `npm test` builds it first (`npm run build`); alone, run `npm run build`. */
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node dist/cli/main.js …args` as a subprocess with only `env` (plus PATH) in its environment,
 * so that WXLOG_* variables of the machine running the tests change nothing. TZ is set far from China:
 * nothing may depend on it.
 */
export function runCli(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<CliResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first with npm run build`);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        env: { PATH: process.env.PATH ?? '', TZ: 'America/Los_Angeles', ...env },
        cwd,
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        timeout: 20_000,
      },
      (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

/** The settings that point a spawned wxlog at `sim`, its database in `dir`, the budget on the simulator's interval. */
export function simulatorEnv(
  sim: { url: string; options: { appid: string; secret: string; intervalMs: number } },
  dir: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    WXLOG_APPID: sim.options.appid,
    WXLOG_SECRET: sim.options.secret,
    WXLOG_API_BASE: sim.url,
    WXLOG_DB: join(dir, 'wxlog.db'),
    WXLOG_RATE_INTERVAL_MS: String(sim.options.intervalMs),
    // Pages of 100 (not the default 1000), so that the simulator's few hundred entries a day take pages.
    WXLOG_PAGE_SIZE: '100',
    ...extra,
  };
}
