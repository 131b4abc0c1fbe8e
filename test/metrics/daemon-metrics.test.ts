import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/simulator.js';
import { simulator } from '../helpers/export-fixture.js';
import { readRows } from '../helpers/read-rows.js';
import { tempDir } from '../helpers/temp-dir.js';
import { appsFileEnv } from '../helpers/apps-file-env.js';
import { waitFor } from '../helpers/wait-for.js';
import { CLI, simulatorEnv } from '../cli/run-cli.js';
import { parseExposition, sumOf, valueOf, type Sample } from './scrape.js';

let sim: Simulator | undefined;
const children: ChildProcessWithoutNullStreams[] = [];

afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await sim?.close();
  sim = undefined;
});

interface Daemon {
  child: ChildProcessWithoutNullStreams;
  log: () => Record<string, unknown>[];
  exit: Promise<number | null>;
}

function daemon(env: Record<string, string>): Daemon {
  const child = spawn(process.execPath, [CLI, 'daemon'], {
    env: { PATH: process.env.PATH ?? '', TZ: 'America/Los_Angeles', ...env },
  });
  children.push(child);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  child.stdout.resume();
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const log = (): Record<string, unknown>[] =>
    stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { child, log, exit };
}

function get(url: string, agent?: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function scrape(url: string): Promise<Sample[]> {
  const answer = await get(`${url}/metrics`);
  expect(answer.status).toBe(200);
  return parseExposition(answer.body);
}

/** Polls the async `probe` every 50 ms until it returns a value (not false); throws after `ms`. */
async function until<T>(probe: () => Promise<T | false>, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function urlOf(d: Daemon): Promise<string> {
  const line = await waitFor(
    () => d.log().find((l) => l.msg === 'operations endpoints listening'),
    'the operations server',
  );
  return String(line.url);
}

describe('wxlog daemon with WXLOG_METRICS_ADDR (subprocess)', () => {
  it('counts every search request the simulator received, faults included, and every entry stored', async () => {
    sim = await simulator({ perDay: 1000, seed: 31, now: Date.now, faults: { rate: 0.15 } });
    const dir = tempDir();
    const db = join(dir, 'wxlog.db');
    const d = daemon(
      simulatorEnv(sim, dir, {
        WXLOG_METRICS_ADDR: '127.0.0.1:0',
        // One pass (the one at start): the next tick is on 1 January.
        WXLOG_SCHEDULE: '0 0 1 1 *',
        WXLOG_CALLS_PER_MINUTE: '20',
      }),
    );
    const url = await urlOf(d);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await get(`${url}/livez`)).status).toBe(200);
    expect((await get(`${url}/readyz`)).status).toBe(200);

    // During the pass: it shows as running, with requests counted so far.
    const during = await until(async () => {
      const s = await scrape(url);
      return valueOf(s, 'wxlog_pass_running') === 1 && sumOf(s, 'wxlog_search_requests_total') > 5 && s;
    }, 'a pass in progress');
    expect(sumOf(during, 'wxlog_search_requests_total')).toBeLessThanOrEqual(sim.stats.searchArrivals.length);

    await waitFor(
      () => readRows<{ n: number }>(db, 'SELECT count(*) AS n FROM runs WHERE finished_at IS NOT NULL')[0]?.n === 1,
      'the pass to finish',
      30_000,
    );
    const after = await until(async () => {
      const s = await scrape(url);
      return valueOf(s, 'wxlog_pass_running') === 0 && s;
    }, 'the pass to end in the metrics');
    const appid = sim.options.appid;
    // The faults made some requests fail: they count too, by kind.
    expect(sumOf(after, 'wxlog_search_requests_total', { appid })).toBe(sim.stats.searchArrivals.length);
    expect(sumOf(after, 'wxlog_search_requests_total', { result: 'transient' })).toBeGreaterThan(0);
    expect(valueOf(after, 'wxlog_search_request_duration_seconds_count')).toBe(sim.stats.searchArrivals.length);
    const stored = readRows<{ n: number }>(db, 'SELECT count(*) AS n FROM log_entries')[0]?.n;
    expect(stored).toBeGreaterThan(0);
    expect(valueOf(after, 'wxlog_entries_stored_total', { appid })).toBe(stored);
    expect(valueOf(after, 'wxlog_pass_duration_seconds_count')).toBe(1);
    expect(valueOf(after, 'wxlog_token_requests_total', { appid, result: 'ok' })).toBe(sim.stats.tokenRequests.stable);
    const run = readRows<{ exit_code: number; windows_incomplete: number }>(
      db,
      'SELECT exit_code, windows_incomplete FROM runs',
    )[0];
    expect(valueOf(after, 'wxlog_windows_incomplete', { appid })).toBe(run?.windows_incomplete);
    if (run?.exit_code === 0)
      expect(valueOf(after, 'wxlog_last_success_timestamp_seconds', { appid })).toBeGreaterThan(0);
    expect(valueOf(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    d.child.kill('SIGTERM');
    expect(await d.exit).toBe(0);
    await expect(get(`${url}/livez`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('with many apps: each app its own series, equal to what the simulator received of it; removed apps leave', async () => {
    sim = await simulator({ appCount: 6, perDay: 200, seed: 32, now: Date.now, faults: { rate: 0.1 } });
    const apps = sim.apps().map((a) => a.appid);
    const dir = tempDir();
    const db = join(dir, 'wxlog.db');
    const { WXLOG_APPS_FILE: appsFile, ...appsEnv } = appsFileEnv(sim, dir);
    const d = daemon({
      ...appsEnv,
      WXLOG_DB: db,
      WXLOG_RATE_INTERVAL_MS: String(sim.options.intervalMs),
      WXLOG_PAGE_SIZE: '100',
      WXLOG_APPS_FILE: appsFile,
      WXLOG_CONCURRENCY: '3',
      WXLOG_METRICS_ADDR: '127.0.0.1:0',
      WXLOG_SCHEDULE: '*/5 * * * * *',
    });
    const url = await urlOf(d);
    const finished = (): number =>
      readRows<{ n: number }>(db, 'SELECT count(DISTINCT appid) AS n FROM runs WHERE finished_at IS NOT NULL')[0]?.n ??
      0;
    await waitFor(() => finished() === 6, 'every app to finish a pass', 60_000);
    // Between passes (a scrape with no pass running and no request arriving meanwhile): counters equal what
    // happened, app by app.
    const arrivals = (): number[] => apps.map((appid) => sim!.statsFor(appid).searchArrivals.length);
    const { after, received } = await until(async () => {
      const before = arrivals();
      const scraped = await scrape(url);
      const now = arrivals();
      const still = valueOf(scraped, 'wxlog_pass_running') === 0 && now.every((n, i) => n === before[i]);
      return still && { after: scraped, received: now };
    }, 'a scrape between passes');
    for (const [i, appid] of apps.entries()) {
      const stored = readRows<{ n: number }>(db, `SELECT count(*) AS n FROM log_entries WHERE appid = '${appid}'`)[0]
        ?.n;
      expect(sumOf(after, 'wxlog_search_requests_total', { appid })).toBe(received[i]);
      expect(valueOf(after, 'wxlog_entries_stored_total', { appid })).toBe(stored);
    }
    // Histograms carry no appid.
    expect(after.some((x) => x.name.startsWith('wxlog_search_request_duration_seconds') && 'appid' in x.labels)).toBe(
      false,
    );

    // Two apps leave the file: their series go with the next pass.
    writeFileSync(appsFile, apps.slice(2).join('\n'));
    const passes = (): number => readRows<{ n: number }>(db, 'SELECT count(*) AS n FROM runs')[0]?.n ?? 0;
    const before = passes();
    await waitFor(() => passes() >= before + 4, 'a pass with the edited file', 60_000);
    const later = await until(async () => {
      const s = await scrape(url);
      return valueOf(s, 'wxlog_pass_running') === 0 && s;
    }, 'that pass to end');
    const labelled = new Set(later.filter((x) => typeof x.labels['appid'] === 'string').map((x) => x.labels['appid']));
    expect([...labelled].sort()).toEqual(apps.slice(2).sort());

    d.child.kill('SIGTERM');
    expect(await d.exit).toBe(0);
  }, 120_000);

  it('turns /readyz to 503 as soon as SIGTERM starts the drain, and stops serving when the daemon exits 0', async () => {
    // Every search stalls: when the signal comes, a request is in hand, and the drain waits for its
    // connection to close (the probes waiting then are answered).
    sim = await simulator({
      perDay: 300,
      seed: 32,
      now: Date.now,
      faults: { rate: 1, kinds: ['stall'], stallMs: 20_000 },
    });
    const dir = tempDir();
    const d = daemon(
      simulatorEnv(sim, dir, {
        WXLOG_METRICS_ADDR: '127.0.0.1:0',
        WXLOG_SCHEDULE: '0 0 1 1 *',
        WXLOG_CALLS_PER_MINUTE: '5',
      }),
    );
    const url = await urlOf(d);
    await waitFor(() => sim?.stats.searchArrivals.length === 1, 'a search request in hand');

    // Probe back to back from before the signal until the server is gone, over several kept-alive
    // connections so that a probe is waiting whenever the draining daemon next reads its sockets.
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const statuses: number[] = [];
    let exited = false;
    void d.exit.then(() => (exited = true));
    const prober = async (): Promise<void> => {
      while (!exited) {
        try {
          statuses.push((await get(`${url}/readyz`, agent)).status);
        } catch {
          return;
        }
      }
    };
    const probing = Promise.all(Array.from({ length: 8 }, prober));
    await waitFor(() => statuses.length >= 8, 'probes before the signal');
    d.child.kill('SIGTERM');
    expect(await d.exit).toBe(0);
    await probing;
    agent.destroy();

    const first503 = statuses.indexOf(503);
    expect(statuses[0]).toBe(200);
    expect(first503).toBeGreaterThan(0);
    // Once draining, never ready again.
    expect(statuses.slice(first503).every((s) => s === 503)).toBe(true);
    const msgs = d.log().map((l) => l.msg);
    expect(msgs).toContain('stopping: the pass in hand finishes its page first');
    expect(msgs.at(-1)).toBe('daemon stopped');
  });
});
