import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/simulator.js';
import { simulator } from '../helpers/export-fixture.js';
import { readRows } from '../helpers/read-rows.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { CLI, runCli, simulatorEnv } from './run-cli.js';

let sim: Simulator | undefined;
const children: ChildProcessWithoutNullStreams[] = [];

afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await sim?.close();
  sim = undefined;
});

interface StatusJson {
  runs: { finishedAt: number | null; state: string; worker: string }[];
  apps: { appid: string; state: string; lastRun: { state: string } | null }[];
}

async function statusJson(env: Record<string, string>): Promise<StatusJson> {
  const result = await runCli(['status', '--json'], env);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as StatusJson;
}

describe('a run killed mid-export (subprocess)', () => {
  it('shows as running while it exports, and as interrupted once SIGKILLed', async () => {
    sim = await simulator({ perDay: 1500, seed: 7, now: Date.now });
    const dir = tempDir();
    const db = join(dir, 'wxlog.db');
    // 3 calls a second over some 100 pages: far longer than the test needs.
    const env = simulatorEnv(sim, dir, { WXLOG_CALLS_PER_MINUTE: '3' });
    const child = spawn(process.execPath, [CLI, 'run'], {
      env: { PATH: process.env.PATH ?? '', TZ: 'America/Los_Angeles', ...env },
    });
    children.push(child);
    child.stdout.resume();
    child.stderr.resume();
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    await waitFor(() => {
      const holder = readRows<{ pid: number }>(db, 'SELECT pid FROM run_lock')[0];
      const stored = readRows<{ n: number }>(db, 'SELECT count(*) AS n FROM log_entries')[0]?.n ?? 0;
      return holder?.pid === child.pid && stored > 0;
    }, 'the run to be exporting');

    const during = await statusJson(env);
    expect(during.runs.map((r) => [r.finishedAt, r.state])).toEqual([[null, 'running']]);
    expect(during.runs[0]?.worker).toMatch(new RegExp(`:${child.pid}$`));
    expect(during.apps.map((a) => [a.appid, a.state])).toEqual([[sim.options.appid, 'running']]);

    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    // The killed process's lock and its unfinished run are still in the file.
    expect(readRows<{ pid: number }>(db, 'SELECT pid FROM run_lock')).toEqual([{ pid: child.pid }]);
    expect(readRows(db, 'SELECT finished_at FROM runs')).toEqual([{ finished_at: null }]);

    const after = await statusJson(env);
    expect(after.runs.map((r) => [r.finishedAt, r.state])).toEqual([[null, 'interrupted']]);
    expect(after.apps.map((a) => [a.state, a.lastRun?.state])).toEqual([['interrupted', 'interrupted']]);
    const text = await runCli(['status'], env);
    const runLines = text.stdout.split('\n').filter((l) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} +\| run /.test(l));
    expect(runLines.map((l) => l.split('|')[2]?.trim())).toEqual(['interrupted']);
    expect(text.stdout).not.toMatch(/\| running /);
  });
});
