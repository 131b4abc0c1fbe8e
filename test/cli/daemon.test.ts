import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { readRows } from '../helpers/read-rows.js';
import { waitFor } from '../helpers/wait-for.js';
import { tempDir } from '../helpers/temp-dir.js';
import { CLI, runCli, simulatorEnv } from './run-cli.js';
import { simulator } from '../helpers/export-fixture.js';

let sim: Simulator | undefined;
const children: ChildProcessWithoutNullStreams[] = [];

afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await sim?.close();
  sim = undefined;
});

interface Daemon {
  pid: number;
  stderr: () => string;
  stdout: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  kill: (signal: NodeJS.Signals) => number;
}

/** Starts `wxlog daemon` with only `env` (and PATH, and a TZ far from China). */
function daemon(env: Record<string, string>, args: string[] = []): Daemon {
  const child = spawn(process.execPath, [CLI, 'daemon', ...args], {
    env: { PATH: process.env.PATH ?? '', TZ: 'America/Los_Angeles', ...env },
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return {
    pid: child.pid ?? -1,
    stderr: () => stderr,
    stdout: () => stdout,
    exit,
    kill: (signal) => {
      child.kill(signal);
      return Date.now();
    },
  };
}

/** The summary line of each pass: the lines with an exit code. */
function summariesOf(log: LogLine[]): LogLine[] {
  return log.filter((l) => typeof l.exitCode === 'number');
}

interface LogLine {
  time: string;
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** The daemon's log: JSON lines on a pipe, every one of them. */
function logOf(d: Daemon): LogLine[] {
  return d
    .stderr()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LogLine);
}

interface RunRow {
  command: string;
  finished_at: number | null;
  exit_code: number | null;
  message: string | null;
}

const rows = readRows;

function envFor(s: Simulator, dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return simulatorEnv(s, dir, { WXLOG_SCHEDULE: '*/2 * * * * *', ...extra });
}

describe('wxlog daemon (subprocess)', () => {
  it('runs passes on its schedule, logs one summary line each, and exits 0 promptly on SIGTERM', async () => {
    // The calendar stands still, so that no entry of today appears between passes.
    sim = await simulator({ perDay: 100, seed: 11, now: Date.now });
    const dir = tempDir();
    const db = join(dir, 'wxlog.db');
    const d = daemon(envFor(sim, dir));
    const finished = await waitFor(() => {
      const done = rows<RunRow>(
        db,
        'SELECT command, finished_at, exit_code, message FROM runs WHERE finished_at IS NOT NULL',
      );
      return done.length >= 2 && done;
    }, 'two finished passes');
    expect(finished.every((r) => r.command === 'daemon' && r.exit_code === 0)).toBe(true);

    const sentAt = d.kill('SIGTERM');
    const exit = await d.exit;
    expect(exit.code).toBe(0);
    expect(exit.at - sentAt).toBeLessThan(5_000);

    const log = logOf(d);
    expect(log[0]).toMatchObject({
      level: 'info',
      msg: 'daemon started',
      schedule: '*/2 * * * * *',
      timezone: 'Asia/Shanghai',
      runNow: true,
    });
    expect(log.at(-1)?.msg).toBe('daemon stopped');
    const runs = rows<RunRow>(db, 'SELECT command, finished_at, exit_code, message FROM runs');
    // Every pass ended before the daemon did, and each logged exactly one summary line.
    expect(runs.every((r) => r.finished_at !== null)).toBe(true);
    const summaries = summariesOf(log);
    expect(summaries).toHaveLength(runs.length);
    for (const s of summaries) {
      expect(s).toMatchObject({ level: 'info', exitCode: 0, windowsComplete: 7, windowsIncomplete: 0 });
      expect(s.msg).toMatch(/^pass complete: 7 days, 7\/7 windows complete, \d+ new entries/);
    }
    // The first pass stored everything; the later ones re-checked at one call a day.
    expect(summaries.slice(1).every((s) => s.entriesNew === 0 && s.searchCalls === 7)).toBe(true);
    expect(rows(db, 'SELECT * FROM run_lock')).toEqual([]);
    expect(d.stdout()).toBe('');
  });

  it('on SIGTERM mid-pass finishes the page in hand, records the pass, and exits 0; ticks during the pass are skipped', async () => {
    sim = await startSimulator({ perDay: 3000, intervalMs: 1000, seed: 12 });
    const dir = tempDir();
    const db = join(dir, 'wxlog.db');
    // 5 calls a second for some 210 pages: the first pass lasts far longer than the test.
    const d = daemon(envFor(sim, dir, { WXLOG_CALLS_PER_MINUTE: '5', WXLOG_SCHEDULE: '* * * * * *' }));
    const waitingLine =
      /waiting for the rate budget of \S+ until \d\d:\d\d:\d\d CST \(its own calls filled the interval\)/;
    // Some tick comes while the pass waits for the budget (5 calls a second leave most of each second to wait).
    const skipped = await waitFor(() => {
      const lines = logOf(d).filter((l) => l.msg.startsWith('pass still running; tick skipped: '));
      return lines.length >= 2 && lines.some((l) => waitingLine.test(l.msg)) && lines;
    }, 'two skipped ticks, one during a budget wait');
    // Each says why the pass runs long: the app in flight and, while it waits, for what and until when.
    for (const line of skipped) {
      expect(line.msg).toContain(`exporting ${sim.options.appid}`);
      expect(line).toMatchObject({ appsInFlight: 1, runningForMs: expect.any(Number) });
      if (waitingLine.test(line.msg))
        expect(line).toMatchObject({ waitReason: 'budget', waitingForBudgetUntil: expect.any(String) });
    }
    const stored = rows<{ n: number }>(db, 'SELECT count(*) AS n FROM log_entries')[0]?.n ?? 0;
    expect(stored).toBeGreaterThan(0);

    const sentAt = d.kill('SIGTERM');
    const exit = await d.exit;
    expect(exit.code).toBe(0);
    expect(exit.at - sentAt).toBeLessThan(5_000);

    const runs = rows<RunRow>(db, 'SELECT command, finished_at, exit_code, message FROM runs');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ command: 'daemon', exit_code: 1 });
    expect(runs[0]?.finished_at).not.toBeNull();
    const log = logOf(d);
    const msgs = log.map((l) => l.msg);
    expect(msgs).toContain('stopping: the pass in hand finishes its page first');
    expect(summariesOf(log)).toHaveLength(1);
    expect(summariesOf(log)[0]).toMatchObject({
      level: 'info',
      exitCode: 1,
      msg: expect.stringMatching(/^pass interrupted; the next run continues/),
    });
    expect(msgs.at(-1)).toBe('daemon stopped');
    // Not every window can be complete after an interrupted first pass.
    expect(
      rows<{ n: number }>(db, "SELECT count(*) AS n FROM windows WHERE status <> 'complete'")[0]?.n,
    ).toBeGreaterThan(0);
    expect(rows(db, 'SELECT * FROM run_lock')).toEqual([]);
  });

  it('logs and records a failing pass and keeps its schedule', async () => {
    sim = await startSimulator({ perDay: 10, intervalMs: 1000 });
    const dir = tempDir();
    const db = join(dir, 'wxlog.db');
    const d = daemon(envFor(sim, dir, { WXLOG_SECRET: 'not-the-secret-42' }));
    await waitFor(
      () => rows<RunRow>(db, 'SELECT exit_code FROM runs WHERE finished_at IS NOT NULL').length >= 2,
      'two failed passes',
    );
    d.kill('SIGTERM');
    expect((await d.exit).code).toBe(0);

    const runs = rows<RunRow>(db, 'SELECT command, exit_code, message FROM runs');
    expect(runs.length).toBeGreaterThanOrEqual(2);
    for (const r of runs)
      expect(r).toMatchObject({ command: 'daemon', exit_code: 3, message: expect.stringMatching(/40125/) });
    const failures = summariesOf(logOf(d));
    expect(failures).toHaveLength(runs.length);
    for (const f of failures)
      expect(f).toMatchObject({ level: 'error', exitCode: 3, msg: expect.stringMatching(/^pass stopped: /) });
    expect(d.stderr()).not.toContain('not-the-secret-42');
  });

  it('with --no-run-now waits for the first tick, read in China Standard Time whatever TZ says', async () => {
    sim = await startSimulator({ perDay: 10, intervalMs: 1000 });
    const dir = tempDir();
    // Midnight of 1 January in China: 16:00 UTC the day before (the process runs with TZ=America/Los_Angeles).
    const d = daemon(envFor(sim, dir, { WXLOG_SCHEDULE: '0 0 1 1 *' }), ['--no-run-now']);
    const started = await waitFor(() => logOf(d).find((l) => l.msg === 'daemon started'), 'the start line');
    const next = new Date(String(started.next));
    expect(next.toISOString()).toMatch(/^\d{4}-12-31T16:00:00\.000Z$/);
    expect(started.runNow).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(rows(join(dir, 'wxlog.db'), 'SELECT * FROM runs')).toEqual([]);
    d.kill('SIGTERM');
    expect((await d.exit).code).toBe(0);
  });

  it('started as README says outside a container (node_modules/.bin/wxlog daemon), gets SIGTERM itself, exits 0 and leaves no process', async () => {
    sim = await startSimulator({ perDay: 3000, intervalMs: 1000, seed: 13 });
    const dir = tempDir();
    const db = join(dir, 'wxlog.db');
    // A project with wxlog installed: node_modules/wxlog and its bin link, as npm lays them out.
    const project = join(dir, 'project');
    mkdirSync(join(project, 'node_modules', '.bin'), { recursive: true });
    writeFileSync(join(project, 'package.json'), '{"name":"ops","private":true}\n');
    symlinkSync(dirname(dirname(dirname(CLI))), join(project, 'node_modules', 'wxlog'));
    symlinkSync('../wxlog/dist/cli/main.js', join(project, 'node_modules', '.bin', 'wxlog'));
    const child = spawn('node_modules/.bin/wxlog', ['daemon'], {
      cwd: project,
      // Its own process group, so that whatever it may have started can be looked for afterwards.
      detached: true,
      env: {
        PATH: process.env.PATH ?? '',
        TZ: 'America/Los_Angeles',
        ...envFor(sim, dir, { WXLOG_CALLS_PER_MINUTE: '5', WXLOG_SCHEDULE: '0 0 1 1 *' }),
      },
    });
    children.push(child);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await waitFor(
      () => (rows<{ n: number }>(db, 'SELECT count(*) AS n FROM log_entries')[0]?.n ?? 0) > 0,
      'entries stored',
    );
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    const msgs = stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => (JSON.parse(l) as LogLine).msg);
    expect(msgs).toContain('stopping: the pass in hand finishes its page first');
    expect(msgs.at(-1)).toBe('daemon stopped');
    expect(rows<RunRow>(db, 'SELECT command, finished_at, exit_code, message FROM runs')[0]).toMatchObject({
      command: 'daemon',
      exit_code: 1,
    });
    // Nothing of its process group is left: the node process was the one that got the signal.
    expect(() => process.kill(-(child.pid ?? 0), 0)).toThrow(/ESRCH/);
  });

  it.each([
    ['*/2 * * *', 'it has 4 fields'],
    ['61 * * * *', 'its minute field is invalid'],
  ])('refuses the schedule %j with exit 2 and one line naming WXLOG_SCHEDULE', async (schedule, problem) => {
    const dir = tempDir();
    const result = await runCli(['daemon'], {
      WXLOG_APPID: 'wx1234567890abcdef',
      WXLOG_SECRET: 'secret-1',
      WXLOG_DB: join(dir, 'wxlog.db'),
      WXLOG_SCHEDULE: schedule,
    });
    expect(result.status).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/WXLOG_SCHEDULE/);
    expect(lines[0]).toContain(problem);
    expect(result.stdout).toBe('');
    expect(existsSync(join(dir, 'wxlog.db'))).toBe(false);
  });
});
