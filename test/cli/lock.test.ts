import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/simulator.js';
import { expectExact } from '../helpers/exact.js';
import { readRows } from '../helpers/read-rows.js';
import { waitFor } from '../helpers/wait-for.js';
import { tempDir } from '../helpers/temp-dir.js';
import { CLI, runCli, simulatorEnv } from './run-cli.js';
import { simulator } from '../helpers/export-fixture.js';

let sim: Simulator | undefined;
const children: ChildProcessWithoutNullStreams[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
  await sim?.close();
  sim = undefined;
});

interface Proc {
  child: ChildProcessWithoutNullStreams;
  pid: number;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function wxlog(args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', TZ: 'America/Los_Angeles', ...env },
  });
  children.push(child);
  let stderr = '';
  child.stdout.resume();
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, pid: child.pid ?? -1, stderr: () => stderr, exit };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const rows = readRows;

function count(path: string, table: string): number {
  return rows<{ n: number }>(path, `SELECT count(*) AS n FROM ${table}`)[0]?.n ?? 0;
}

interface LockRow {
  pid: number;
  command: string;
}

/** Resolves once `proc` holds the database's lock and has stored entries: it is mid-export. */
function midExport(db: string, proc: Proc): Promise<LockRow> {
  return waitFor(() => {
    const holder = rows<LockRow>(db, 'SELECT pid, command FROM run_lock')[0];
    return holder?.pid === proc.pid && count(db, 'log_entries') > 0 && holder;
  }, `pid ${proc.pid} to be exporting`);
}

function isStopped(pid: number): boolean {
  // The third field of /proc/PID/stat is the state; T means stopped by a signal.
  return /^\d+ \(.*\) T /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

function inWriteTransaction(db: string): boolean {
  const conn = new BetterSqlite3(db, { timeout: 0, fileMustExist: true });
  try {
    conn.exec('BEGIN IMMEDIATE');
    conn.exec('ROLLBACK');
    return false;
  } catch (e: unknown) {
    if ((e as { code?: string }).code === 'SQLITE_BUSY') return true;
    throw e;
  } finally {
    conn.close();
  }
}

/**
 * Freezes `proc` (SIGSTOP) between two of its transactions: it keeps the lock, as a busy exporter does,
 * while nothing it does can change the database during the test's before/after comparison.
 */
async function freezeBetweenTransactions(db: string, proc: Proc): Promise<void> {
  for (;;) {
    proc.child.kill('SIGSTOP');
    await waitFor(() => isStopped(proc.pid), 'the process to stop', 2_000);
    if (!inWriteTransaction(db)) return;
    proc.child.kill('SIGCONT');
    await sleep(20);
  }
}

/** Everything a run could change. */
function snapshot(db: string) {
  return {
    runs: rows(db, 'SELECT * FROM runs ORDER BY id'),
    lock: rows(db, 'SELECT * FROM run_lock'),
    windows: rows(db, 'SELECT * FROM windows ORDER BY id'),
    entries: count(db, 'log_entries'),
    messages: count(db, 'log_messages'),
    requests: count(db, 'search_requests'),
    state: rows(db, 'SELECT * FROM state ORDER BY 1'),
  };
}

/** A simulator with a day's calendar that stands still, and enough entries for a long first export. */
function busySimulator(perDay: number): Promise<Simulator> {
  return simulator({ perDay, seed: 21, now: Date.now });
}

/**
 * A `wxlog run` holding the lock of a fresh database in the middle of a long export, frozen between two
 * transactions, and the database's state at that moment.
 */
async function frozenExporter(): Promise<{
  server: Simulator;
  dir: string;
  db: string;
  first: Proc;
  before: ReturnType<typeof snapshot>;
}> {
  const server = await busySimulator(3000);
  sim = server; // closed after the test
  const dir = tempDir();
  const db = join(dir, 'wxlog.db');
  // 5 calls a second for some 210 pages: the first run exports for far longer than the test needs.
  const first = wxlog(['run'], simulatorEnv(server, dir, { WXLOG_CALLS_PER_MINUTE: '5' }));
  await midExport(db, first);
  await freezeBetweenTransactions(db, first);
  return { server, dir, db, first, before: snapshot(db) };
}

describe('one writer per database (subprocesses)', () => {
  it('a second run exits 4 at once with a clear message and changes nothing', async () => {
    const { server, dir, db, first, before } = await frozenExporter();

    const startedAt = Date.now();
    const second = await runCli(['run'], simulatorEnv(server, dir));
    const tookMs = Date.now() - startedAt;
    expect(second.status).toBe(4);
    expect(second.stdout).toBe('');
    const lines = second.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^wxlog run: another wxlog \\(run, pid ${first.pid} on .+\\) has been exporting into ${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} since .+ CST; nothing done$`,
      ),
    );
    // At once: no waiting for the lock (a run over 210 pages at 5 a second would take 40 s).
    expect(tookMs).toBeLessThan(5_000);
    expect(snapshot(db)).toEqual(before);

    // The first run carries on, and stops cleanly when asked.
    first.child.kill('SIGCONT');
    first.child.kill('SIGTERM');
    expect((await first.exit).code).toBe(1);
    expect(rows(db, 'SELECT * FROM run_lock')).toEqual([]);
    expect(rows(db, 'SELECT command, exit_code FROM runs')).toEqual([{ command: 'run', exit_code: 1 }]);
  });

  it('a daemon tick skips, with a log line, while another process exports', async () => {
    const { server, dir, db, first, before } = await frozenExporter();

    const daemon = wxlog(['daemon'], simulatorEnv(server, dir, { WXLOG_SCHEDULE: '* * * * * *' }));
    const skipped = (): { msg: string; exitCode?: number; holder?: { pid: number; command: string } }[] =>
      daemon
        .stderr()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { msg: string; exitCode?: number; holder?: { pid: number; command: string } })
        .filter((l) => l.exitCode === 4);
    await waitFor(() => skipped().length >= 2, 'two skipped passes');
    daemon.child.kill('SIGTERM');
    expect((await daemon.exit).code).toBe(0);

    for (const line of skipped()) {
      expect(line.msg).toMatch(
        new RegExp(`^pass skipped: another wxlog \\(run, pid ${first.pid} on .+\\) .* nothing done$`),
      );
      expect(line.holder).toMatchObject({ pid: first.pid, command: 'run' });
    }
    expect(snapshot(db)).toEqual(before);
  });

  it('a lock left by a SIGKILLed run does not block the next run', async () => {
    sim = await busySimulator(1500);
    const dir = tempDir();
    const db = join(dir, 'wxlog.db');
    const killed = wxlog(['run'], simulatorEnv(sim, dir, { WXLOG_CALLS_PER_MINUTE: '3' }));
    await midExport(db, killed);
    killed.child.kill('SIGKILL');
    expect((await killed.exit).signal).toBe('SIGKILL');
    // The dead process's lock and its unfinished run are still in the file.
    expect(rows<LockRow>(db, 'SELECT pid, command FROM run_lock')).toEqual([{ pid: killed.pid, command: 'run' }]);
    expect(rows(db, 'SELECT finished_at FROM runs')).toEqual([{ finished_at: null }]);

    const next = await runCli(['run'], simulatorEnv(sim, dir, { WXLOG_CALLS_PER_MINUTE: '45' }));
    expect(next.status).toBe(0);
    expect(next.stdout).toMatch(/^wxlog run: complete: 7 days, 7\/7 windows complete/);
    expect(rows(db, 'SELECT * FROM run_lock')).toEqual([]);
    expectExact(db, sim);
  });
});
