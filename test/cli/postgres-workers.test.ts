import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { maxInAnyInterval } from '../../src/simulator/sliding-limiter.js';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { pgExactProblems, pgRows } from '../helpers/pg-rows.js';
import { createTestDatabase } from '../helpers/postgres-server.js';
import { appsFileEnv } from '../helpers/apps-file-env.js';
import { tempDir } from '../helpers/temp-dir.js';
import { CLI } from './run-cli.js';

// Several workers on one PostgreSQL database, as docs/postgres.md has them: the real CLI spawned (each a
// process of its own), the simulator in this process on the real clock, the database read back field by
// field. Leases keep each app to one worker at a time; the shared budget keeps each app under its limit.

const INTERVAL_MS = 1000;
const CALLS = 8;
const PASSWORD = 'pw-never-shown-4711';

let sim: Simulator | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await sim?.close();
  sim = undefined;
});

interface Exited {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Spawns `wxlog …args` with only `env`; resolves when it exits, with what it printed. */
function spawnCli(args: string[], env: Record<string, string>): { child: ChildProcess; exited: Promise<Exited> } {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', TZ: 'America/Los_Angeles', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<Exited>((resolve) =>
    child.once('close', (status, signal) => resolve({ status, signal, stdout, stderr })),
  );
  return { child, exited };
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A fresh database of the test server, its URL with a password the server (trust) ignores. */
/** Workers exporting every app of `sim` into the PostgreSQL database `db`, with this file's budget. */
function workersEnv(sim: Simulator, dir: string, db: string, extra: Record<string, string>): Record<string, string> {
  return {
    WXLOG_DB: db,
    ...appsFileEnv(sim, dir),
    WXLOG_RATE_INTERVAL_MS: String(INTERVAL_MS),
    WXLOG_CALLS_PER_MINUTE: String(CALLS),
    WXLOG_PAGE_SIZE: '100',
    ...extra,
  };
}

async function database(): Promise<string> {
  const url = new URL(await createTestDatabase(inject('postgresUrl'), 'wxlog_workers'));
  url.password = PASSWORD;
  return url.toString();
}

interface RunRow {
  appid: string;
  worker: string;
  started_at: number;
  finished_at: number | null;
  exit_code: number | null;
}

describe('several workers on one PostgreSQL database (subprocess)', () => {
  it('migrates and exports through a postgres:// WXLOG_DB, never showing its password', async () => {
    // A fixed clock: no entry arrives between the run and the comparison.
    const at = Date.now();
    sim = await startSimulator({ appCount: 2, perDay: 30, intervalMs: INTERVAL_MS, seed: 21, now: () => at });
    const dir = tempDir();
    const db = await database();
    const env = workersEnv(sim, dir, db, { WXLOG_LOG_LEVEL: 'info' });
    const migrated = await spawnCli(['migrate'], env).exited;
    expect(migrated.stderr).toBe('');
    expect(migrated.status).toBe(0);
    expect(migrated.stdout).toMatch(/applied 0001_/);
    expect(migrated.stdout).toContain(':***@');
    const run = await spawnCli(['run'], env).exited;
    expect(run.status, run.stderr).toBe(0);
    for (const out of [migrated, run]) expect(out.stdout + out.stderr).not.toContain(PASSWORD);
    for (const a of sim.apps()) expect(await pgExactProblems(db, sim, a.appid)).toEqual([]);
    // A second run re-checks and finds nothing new.
    const again = await spawnCli(['run'], env).exited;
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/ 0 new entries/);
  }, 120_000);

  it('three workers, one SIGKILLed mid-export: a further run completes, every app exact, no overlapping runs of an app, no app over its budget', async () => {
    // The real clock, until the further run: from then on no entry arrives, so that what the simulator
    // serves is what that run must have stored (an entry arriving after a run read its day is the next
    // run's, and would be missing here by no fault of the export).
    let frozenAt: number | undefined = undefined;
    sim = await startSimulator({
      appCount: 12,
      perDay: 250,
      intervalMs: INTERVAL_MS,
      callsPerMinute: 50,
      seed: 12,
      now: () => frozenAt ?? Date.now(),
    });
    const dir = tempDir();
    const db = await database();
    const env = workersEnv(sim, dir, db, {
      WXLOG_CONCURRENCY: '2',
      WXLOG_LEASE_TTL_MS: '3000',
      WXLOG_LOG_LEVEL: 'warn',
    });
    // Three at once: they migrate the new database together, then share the apps.
    const workers = [spawnCli(['run'], env), spawnCli(['run'], env), spawnCli(['run'], env)];
    const [victim, ...others] = workers as [(typeof workers)[0], ...typeof workers];
    const victimWorker = `:${victim.child.pid}`;
    // Killed while it holds an app it has stored entries of.
    await until(async () => {
      const rows = await pgRows<{ n: number }>(
        db,
        `SELECT count(*) AS n FROM runs r WHERE r.worker LIKE '%' || $1 AND r.finished_at IS NULL
           AND EXISTS (SELECT 1 FROM log_entries e WHERE e.appid = r.appid)`,
        [victimWorker],
      );
      return (rows[0]?.n ?? 0) > 0 ? true : undefined;
    }, 'the victim exporting an app');
    victim.child.kill('SIGKILL');
    const killed = await victim.exited;
    expect(killed.signal).toBe('SIGKILL');
    for (const w of others) {
      const out = await w.exited;
      // 4: every app it reached was held by another worker.
      expect([0, 4], out.stdout + out.stderr).toContain(out.status);
    }
    // Three workers of one pass export each app once: an app another took and finished is not done again
    // (only the victim's apps, whose leases lapsed unrenewed, may have been taken over).
    const finishedOnce = await pgRows<{ appid: string; n: number }>(
      db,
      'SELECT appid, count(*) AS n FROM runs WHERE finished_at IS NOT NULL GROUP BY appid HAVING count(*) > 1',
    );
    expect(finishedOnce).toEqual([]);
    // The victim's leases expire unrenewed; then the apps it held are anyone's.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    frozenAt = Date.now();
    const further = await spawnCli(['run'], env).exited;
    expect(further.status, further.stdout + further.stderr).toBe(0);

    for (const out of [killed, ...(await Promise.all(others.map((w) => w.exited))), further])
      expect(out.stdout + out.stderr).not.toContain(PASSWORD);
    const problems: string[] = [];
    for (const a of sim.apps()) problems.push(...(await pgExactProblems(db, sim, a.appid)));
    expect(problems).toEqual([]);

    const runs = await pgRows<RunRow>(
      db,
      'SELECT appid, worker, started_at, finished_at, exit_code FROM runs ORDER BY appid, started_at, id',
    );
    expect(new Set(runs.map((r) => r.worker)).size).toBeGreaterThanOrEqual(2);
    for (const a of sim.apps()) {
      const mine = runs.filter((r) => r.appid === a.appid);
      // Only the killed worker leaves a run unfinished.
      for (const r of mine) if (r.finished_at === null) expect(r.worker.endsWith(victimWorker)).toBe(true);
      const finished = mine.filter((r) => r.finished_at !== null);
      for (let i = 1; i < finished.length; i++) {
        const [prev, next] = [finished[i - 1]!, finished[i]!];
        expect(next.started_at, `${a.appid}: ${prev.worker} and ${next.worker} overlap`).toBeGreaterThanOrEqual(
          prev.finished_at!,
        );
      }
      // The budget as the three workers kept it: the send times they recorded before each request left (the
      // last ten intervals' worth, what the table keeps), never more than CALLS in a span (interval + 200 ms).
      const sent = (
        await pgRows<{ at: number }>(db, 'SELECT at_ms AS at FROM search_requests WHERE appid = $1', [a.appid])
      ).map((r) => r.at);
      expect(maxInAnyInterval(sent, INTERVAL_MS + 200)).toBeLessThanOrEqual(CALLS);
      // What the simulator saw, stamped when its handler runs in this test process, on two cores shared with
      // three workers and PostgreSQL: within the interval less 300 ms of that stamping delay.
      expect(sim.maxSearchesInAnyInterval(INTERVAL_MS - 300, a.appid)).toBeLessThanOrEqual(CALLS);
    }
    // Nobody holds a lease once every worker is done.
    const held = await pgRows<{ n: number }>(
      db,
      'SELECT count(*) AS n FROM leases WHERE worker IS NOT NULL AND expires_at > now()',
    );
    expect(held[0]?.n).toBe(0);
  }, 240_000);
});
