import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { expectExact } from '../helpers/exact.js';
import { tempDir } from '../helpers/temp-dir.js';
import { CLI, runCli, simulatorEnv } from './run-cli.js';
import { simulator } from '../helpers/export-fixture.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** Starts `wxlog run` and SIGKILLs it after `ms`; resolves when it is gone. */
function killAfter(env: Record<string, string>, ms: number): Promise<NodeJS.Signals | number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'run'], {
      env: { PATH: process.env.PATH ?? '', TZ: 'UTC', ...env },
      stdio: 'ignore',
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(signal ?? code);
    });
  });
}

/** Entries stored in `db` so far (0 while the file or its tables do not exist yet). */
function storedSoFar(db: string): number {
  if (!existsSync(db)) return 0;
  try {
    const handle = new BetterSqlite3(db, { readonly: true, timeout: 100 });
    try {
      return (handle.prepare('SELECT count(*) AS n FROM log_entries').get() as { n: number }).n;
    } finally {
      handle.close();
    }
  } catch {
    return 0;
  }
}

/**
 * Starts `wxlog run` and SIGKILLs it as soon as it has stored entries (however loaded the machine, so
 * that the kill lands mid-export); resolves when it is gone.
 */
function killOnceStored(env: Record<string, string>, db: string): Promise<NodeJS.Signals | number | null> {
  return new Promise((resolve) => {
    const before = storedSoFar(db);
    const child = spawn(process.execPath, [CLI, 'run'], {
      env: { PATH: process.env.PATH ?? '', TZ: 'UTC', ...env },
      stdio: 'ignore',
    });
    const poll = setInterval(() => {
      if (storedSoFar(db) > before) child.kill('SIGKILL');
    }, 25);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      resolve(signal ?? code);
    });
  });
}

describe('wxlog run (subprocess)', () => {
  it('resumes after SIGKILL at several moments and ends exact, with a sound database', async () => {
    // The calendar stands still: no entry of today appears between the kills and the final check.
    sim = await simulator({ perDay: 700, seed: 5, now: Date.now });
    const dir = tempDir();
    // A small budget makes a run last several seconds, so the kills land mid-export.
    const env = simulatorEnv(sim, dir, { WXLOG_CALLS_PER_MINUTE: '12' });
    const kills: (NodeJS.Signals | number | null)[] = [];
    for (const ms of [700, 1300, 450, 2100]) kills.push(await killAfter(env, ms));
    // And once right after a page was stored, whatever the machine's load made of the timed kills.
    kills.push(await killOnceStored(env, join(dir, 'wxlog.db')));
    expect(kills.filter((k) => k === 'SIGKILL').length).toBeGreaterThanOrEqual(3);
    const db = new BetterSqlite3(join(dir, 'wxlog.db'), { readonly: true });
    const partial = (db.prepare('SELECT count(*) AS n FROM log_entries').get() as { n: number }).n;
    db.close();
    expect(partial).toBeGreaterThan(0);
    const final = await runCli(['run'], env);
    expect(final.stderr).toBe('');
    expect(final.status).toBe(0);
    expect(final.stdout).toMatch(/^wxlog run: complete: 7 days, 7\/7 windows complete, \d+ new entries/);
    expectExact(join(dir, 'wxlog.db'), sim);
  });

  it('refuses a bad setting with one line naming it, exit 2, and writes nothing', async () => {
    const dir = tempDir();
    const result = await runCli(['run'], {
      WXLOG_APPID: 'wx1',
      WXLOG_SECRET: 's3cr3t-value',
      WXLOG_DB: join(dir, 'x.db'),
      WXLOG_CALLS_PER_MINUTE: '50',
    });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/WXLOG_CALLS_PER_MINUTE/);
    expect(result.stderr).not.toMatch(/s3cr3t-value/);
    expect(existsSync(join(dir, 'x.db'))).toBe(false);
  });

  it('stops with exit 3 and a clear message on a wrong AppSecret, never printing it', async () => {
    sim = await startSimulator({ perDay: 10, intervalMs: 1000 });
    const dir = tempDir();
    const result = await runCli(['run'], simulatorEnv(sim, dir, { WXLOG_SECRET: 'not-the-secret-42' }));
    expect(result.status).toBe(3);
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/not-the-secret-42/);
    expect(result.stdout).toMatch(/stopped: .*40125/);
    const db = new BetterSqlite3(join(dir, 'wxlog.db'), { readonly: true });
    expect(db.prepare('SELECT exit_code, search_calls FROM runs').all()).toEqual([{ exit_code: 3, search_calls: 0 }]);
    db.close();
  });
});
