import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ExportEvents, type ExportEventOf } from '../../src/events/export-events.js';
import { createMetrics } from '../../src/metrics/export-metrics.js';
import { SIMULATED_SCENES } from '../../src/simulator/scenes.js';
import type { Simulator } from '../../src/simulator/simulator.js';
import { cstDayOf } from '../../src/wechat/cst-day.js';
import { expectExact, lowerBoundCalls, storedRows } from '../helpers/exact.js';
import { clockFrom, configFor, fastClient, MIDDAY_CST, pass, simulator } from '../helpers/export-fixture.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait-for.js';
import { parseExposition, sumOf, valueOf } from '../metrics/scrape.js';

let sim: Simulator | undefined;
const originalTz = process.env.TZ;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
  process.env.TZ = originalTz;
});

describe('wxlog run against the simulator', () => {
  for (const tz of ['UTC', 'America/Los_Angeles']) {
    it(`stores exactly what WeChat serves, field by field, under TZ=${tz}`, async () => {
      process.env.TZ = tz;
      const now = clockFrom(MIDDAY_CST);
      sim = await simulator({ now, perDay: 250 });
      const config = configFor(sim, tempDir());
      const first = await pass(config, now);
      expect(first.exitCode).toBe(0);
      expectExact(config.db, sim);
      expect(first.result?.windowsIncomplete).toBe(0);
      // Each day's figures (reported as the day was done, and reused by the run's result) are the simulator's.
      const perDay = new Map<string, number>();
      for (const e of sim.allEntries()) perDay.set(cstDayOf(e.timestamp), (perDay.get(cstDayOf(e.timestamp)) ?? 0) + 1);
      expect(first.result?.days.map((d) => [d.date, d.stored, d.serverTotal, d.windowsIncomplete, d.error])).toEqual(
        [...perDay].sort().map(([date, n]) => [date, n, n, 0, null]),
      );
      expect(first.searchCalls).toBeLessThanOrEqual(Math.ceil(lowerBoundCalls(sim, 100) * 1.1));
      // The scene list is refreshed with one call per run, values kept as text.
      expect(sim.stats.sceneRequests).toBe(1);
      const db = new BetterSqlite3(config.db, { readonly: true });
      expect(db.prepare('SELECT value, name FROM scenes ORDER BY rowid').all()).toEqual(
        SIMULATED_SCENES.map((s) => ({ value: String(s.value), name: s.name })),
      );
      expect(db.prepare('SELECT search_calls, entries_new, exit_code FROM runs').all()).toEqual([
        { search_calls: sim.stats.searchArrivals.length, entries_new: sim.allEntries().length, exit_code: 0 },
      ]);
      db.close();
      // Nothing new: about one call per day.
      const second = await pass(config, now);
      expect(second.exitCode).toBe(0);
      expect(second.result?.entriesNew).toBe(0);
      expect(second.searchCalls).toBe(7);
      expectExact(config.db, sim);
    });
  }

  it('covers the first and last second of every CST day', async () => {
    const now = clockFrom(MIDDAY_CST);
    sim = await simulator({ now, perDay: 100 });
    const config = configFor(sim, tempDir());
    await pass(config, now);
    const db = new BetterSqlite3(config.db, { readonly: true });
    const edges = db
      .prepare(
        `SELECT count(*) AS n FROM log_entries
         WHERE (timestamp + 8 * 3600) % 86400 IN (0, 86399)`,
      )
      .get() as { n: number };
    db.close();
    const expected = sim.allEntries().filter((e) => [0, 86399].includes((e.timestamp + 8 * 3600) % 86400)).length;
    expect(expected).toBeGreaterThan(0);
    expect(edges.n).toBe(expected);
  });

  for (const mode of ['empty', 'reject'] as const) {
    it(`splits windows whose offsets the server will not serve (${mode}) and stays exact`, async () => {
      const now = clockFrom(MIDDAY_CST);
      sim = await simulator({ now, perDay: 1500, maxOffset: 1000, offsetCapMode: mode, callsPerMinute: 200 });
      const config = configFor(sim, tempDir(), { WXLOG_CALLS_PER_MINUTE: '49' });
      const first = await pass(config, now);
      expect(first.exitCode).toBe(0);
      expectExact(config.db, sim);
      // One call to discover the cap; then within 10% of the lower bound.
      expect(first.searchCalls).toBeLessThanOrEqual(
        Math.ceil(lowerBoundCalls(sim, 100) * 1.1) + (mode === 'reject' ? 4 : 1),
      );
      const second = await pass(config, now);
      expect(second.searchCalls).toBe(7);
    });
  }

  it('finds the largest page size the server serves when it refuses larger ones, and remembers it', async () => {
    const now = clockFrom(MIDDAY_CST);
    sim = await simulator({ now, perDay: 300, maxPageSize: 40, pageSizeCapMode: 'reject' });
    const dir = tempDir();
    const config = configFor(sim, dir);
    expect((await pass(config, now)).exitCode).toBe(0);
    expectExact(config.db, sim);
    const db = new BetterSqlite3(config.db, { readonly: true });
    const kept = db.prepare("SELECT value FROM state WHERE key LIKE 'page_size:%'").pluck().get() as string;
    // Within 25% of the ceiling: close enough that a larger size would spare at most one call a window.
    const learnt = JSON.parse(kept) as { served: number; refused: number };
    expect(learnt.served).toBeLessThanOrEqual(40);
    expect(learnt.served).toBeGreaterThanOrEqual(32);
    expect(learnt.refused).toBeGreaterThan(40);
    db.close();
    sim.addEntries(sim.retentionDays()[2] ?? '', 80);
    const served = sim.stats.searchServed;
    const arrivals = sim.stats.searchArrivals.length;
    expect((await pass(config, now)).exitCode).toBe(0);
    // The learnt size is used at once: every request of the second run was served.
    expect(sim.stats.searchArrivals.length - arrivals).toBe(sim.stats.searchServed - served);
    expectExact(config.db, sim);
  });

  it('advances by what the server returns when it silently truncates pages', async () => {
    const now = clockFrom(MIDDAY_CST);
    sim = await simulator({ now, perDay: 300, maxPageSize: 30, pageSizeCapMode: 'truncate' });
    const config = configFor(sim, tempDir());
    expect((await pass(config, now)).exitCode).toBe(0);
    expectExact(config.db, sim);
  });

  it('ends exact after one run through faults and tokens expiring mid-run', async () => {
    const now = clockFrom(MIDDAY_CST);
    sim = await simulator({
      now,
      perDay: 400,
      callsPerMinute: 200,
      tokenMaxUses: 9,
      faults: {
        rate: 0.15,
        kinds: ['errcode-1', 'http-502', 'reset', 'truncated-json', 'stall', 'html', 'bad-shape'],
        stallMs: 2000,
      },
    });
    const config = configFor(sim, tempDir(), { WXLOG_CALLS_PER_MINUTE: '49' });
    const outcome = await pass(config, now);
    expect(outcome.result?.errors).toEqual([]);
    expect(outcome.exitCode).toBe(0);
    expect(sim.stats.tokenRequests.stable).toBeGreaterThan(1);
    expect(sim.stats.searchArrivals.length).toBeGreaterThan(sim.stats.searchServed);
    expectExact(config.db, sim);
  });

  it('picks up late entries and entries added while paging on the next run, then costs one call a day', async () => {
    const now = clockFrom(MIDDAY_CST);
    sim = await simulator({ now, perDay: 600, lateFraction: 0.05, callsPerMinute: 200 });
    const config = configFor(sim, tempDir(), { WXLOG_CALLS_PER_MINUTE: '49' });
    sim.addDuringPaging(3, 4);
    await pass(config, now);
    expect(sim.releaseLate()).toBeGreaterThan(0);
    const second = await pass(config, now);
    expect(second.exitCode).toBe(0);
    expectExact(config.db, sim);
    const third = await pass(config, now);
    expect(third.result?.entriesNew).toBe(0);
    expect(third.searchCalls).toBe(7);
  });

  it('keeps a separate ledger for a filtered export, and an unfiltered one on the same file is still exact', async () => {
    const now = clockFrom(MIDDAY_CST);
    sim = await simulator({ now, perDay: 300 });
    const dir = tempDir();
    const filtered = configFor(sim, dir, { WXLOG_LEVEL: 'warn' });
    const first = await pass(filtered, now);
    expect(first.exitCode).toBe(0);
    const isWarnOrWorse = (e: { level?: number }) => (e.level ?? 0) >= 4;
    expectExact(filtered.db, sim, sim.options.appid, isWarnOrWorse);
    expect(sim.allEntries().filter(isWarnOrWorse).length).toBeLessThan(sim.allEntries().length);
    // Re-checking the filtered ledger: one call a day.
    expect((await pass(filtered, now)).searchCalls).toBe(7);
    const all = configFor(sim, dir);
    expect((await pass(all, now)).exitCode).toBe(0);
    expectExact(all.db, sim);
    const db = new BetterSqlite3(all.db, { readonly: true });
    const ledgers = db
      .prepare(
        "SELECT filter_key, count(*) AS n FROM windows WHERE status = 'complete' GROUP BY filter_key ORDER BY filter_key",
      )
      .all();
    db.close();
    expect(ledgers).toEqual([
      { filter_key: '', n: 7 },
      { filter_key: '{"level":4}', n: 7 },
    ]);
  });

  it('waits and retries when WeChat says 200010 although the budget allowed the call, and counts it', async () => {
    const now = clockFrom(MIDDAY_CST);
    // Another service on the same AppID leaves this exporter only 6 calls a second, below its budget of 10.
    sim = await simulator({ now, perDay: 300, callsPerMinute: 6 });
    const config = configFor(sim, tempDir(), { WXLOG_CALLS_PER_MINUTE: '10' });
    const outcome = await pass(config, now, { client: { retryPolicy: { rate: { retries: 20 } } } });
    expect(outcome.exitCode).toBe(0);
    expect(sim.stats.searchRateLimited).toBeGreaterThan(0);
    expectExact(config.db, sim);
    const db = new BetterSqlite3(config.db, { readonly: true });
    const run = db.prepare('SELECT rate_limited, search_calls FROM runs').get() as {
      rate_limited: number;
      search_calls: number;
    };
    db.close();
    expect(run.rate_limited).toBe(sim.stats.searchRateLimited);
    expect(run.search_calls).toBe(sim.stats.searchArrivals.length);
  });

  it('counts every request WeChat received, faults, refusals and those aborted mid-request included', async () => {
    const now = clockFrom(MIDDAY_CST);
    // Refusals (WeChat allows 2 calls a second, the budget 10) and faults, until the answers are held.
    const wechat = (sim = await simulator({
      now,
      perDay: 3000,
      callsPerMinute: 2,
      faults: { rate: 0.3, kinds: ['errcode-1', 'http-502', 'reset', 'truncated-json'] },
    }));
    const config = configFor(wechat, tempDir(), { WXLOG_CALLS_PER_MINUTE: '10' });
    const events = new ExportEvents();
    const metrics = createMetrics({ defaultMetrics: false });
    events.on(metrics.listener);
    const requests: ExportEventOf<'request'>[] = [];
    let lastEnded = Date.now();
    events.on((e) => {
      if (e.type !== 'request' || e.api !== 'search') return;
      requests.push(e);
      lastEnded = Date.now();
    });
    const stop = new AbortController();
    const running = pass(config, now, {
      events,
      signal: stop.signal,
      // Retries enough for the faults; no headers timeout before the abort.
      client: { ...fastClient, retryPolicy: { rate: { retries: 20 } }, timeouts: { headersMs: 60_000 } },
    });
    const { stats } = wechat;
    const received = (): number => stats.searchArrivals.length;
    // Pages served, refusals and faults (what is neither served nor refused before the stall is a fault).
    await waitFor(
      () =>
        stats.searchServed >= 3 &&
        stats.searchRateLimited >= 1 &&
        received() > stats.searchServed + stats.searchRateLimited,
      'pages served, refused and faulty',
      30_000,
    );
    // From now on every answer is held until the exporter hangs up.
    wechat.setFaults({ rate: 1, kinds: ['stall'], stallMs: 600_000 });
    const armed = received();
    await waitFor(() => received() > armed, 'a search request held', 10_000);
    // Until every request in flight is held: what came before the stall was armed has been answered, and
    // retries of refusals have got past WeChat's limit (1 s) into the stall.
    await waitFor(() => Date.now() - lastEnded > 1500, 'every request in flight held', 20_000);
    const held = requests.length;
    stop.abort(new Error('SIGTERM'));
    const outcome = await running;
    expect(outcome.exitCode).toBe(1);

    const s = parseExposition(await metrics.registry.metrics());
    const appid = wechat.options.appid;
    const arrivals = stats.searchArrivals.length;
    // Each request the exporter sent is told of once: the held ones as aborted.
    expect(requests).toHaveLength(arrivals);
    expect(sumOf(s, 'wxlog_search_requests_total', { appid })).toBe(arrivals);
    expect(valueOf(s, 'wxlog_search_requests_total', { appid, result: 'aborted' })).toBe(arrivals - held);
    expect(arrivals - held).toBeGreaterThanOrEqual(1);
    expect(valueOf(s, 'wxlog_search_requests_total', { appid, result: 'rate' })).toBe(stats.searchRateLimited);
    expect(stats.searchRateLimited).toBeGreaterThan(0);
    expect(valueOf(s, 'wxlog_search_requests_total', { appid, result: 'transient' })).toBeGreaterThan(0);
    expect(valueOf(s, 'wxlog_search_requests_total', { appid, result: 'ok' })).toBe(stats.searchServed);
    expect(outcome.searchCalls).toBe(arrivals);

    const db = new BetterSqlite3(config.db, { readonly: true });
    const run = db.prepare('SELECT rate_limited, search_calls, exit_code FROM runs').get();
    db.close();
    expect(run).toEqual({ rate_limited: stats.searchRateLimited, search_calls: arrivals, exit_code: 1 });
  });

  it('leaves days that fell out of retention as they are, and says so in the ledger', async () => {
    const firstNow = clockFrom(MIDDAY_CST);
    sim = await simulator({ now: firstNow, perDay: 120 });
    const dir = tempDir();
    expect((await pass(configFor(sim, dir), firstNow)).exitCode).toBe(0);
    const oldDays = sim.retentionDays().slice(0, 3);
    await sim.close();
    // Three days later the three oldest days are beyond WeChat's reach.
    const laterNow = clockFrom('2026-11-25T04:00:00Z');
    sim = await simulator({ now: laterNow, perDay: 120 });
    expect(sim.retentionDays().some((d) => oldDays.includes(d))).toBe(false);
    const config = configFor(sim, dir);
    const db = () => new BetterSqlite3(config.db, { readonly: true });
    const before = db();
    const oldCount = (d: BetterSqlite3.Database) =>
      (
        d.prepare('SELECT count(*) AS n FROM log_entries_cst WHERE date_cst IN (?, ?, ?)').get(...oldDays) as {
          n: number;
        }
      ).n;
    const kept = oldCount(before);
    before.close();
    expect(kept).toBeGreaterThan(0);
    expect((await pass(config, laterNow)).exitCode).toBe(0);
    const after = db();
    expect(oldCount(after)).toBe(kept);
    const ledger = after
      .prepare('SELECT date, expired_at IS NOT NULL AS expired FROM windows WHERE parent_id IS NULL ORDER BY date')
      .all();
    after.close();
    expect(ledger).toEqual([
      ...oldDays.map((date) => ({ date, expired: 1 })),
      ...sim.retentionDays().map((date) => ({ date, expired: 0 })),
    ]);
    const inRetention = new Set(sim.retentionDays());
    const rows = storedRows(config.db, sim.options.appid).filter(
      (r) => r.timestamp !== 'untimed' && inRetention.has(cstDayOf(r.timestamp)),
    );
    expect(rows.length).toBe(sim.allEntries().length);
  });

  it('resumes an interrupted read where it stopped when the total has not changed', async () => {
    const now = clockFrom(MIDDAY_CST);
    sim = await simulator({ now, perDay: 3000, callsPerMinute: 200 });
    const config = configFor(sim, tempDir(), { WXLOG_LOOKBACK_DAYS: '1', WXLOG_CALLS_PER_MINUTE: '49' });
    const today = sim.retentionDays().at(-1) ?? '';
    const pages = Math.ceil(sim.countForDay(today) / 100);
    expect(pages).toBeGreaterThanOrEqual(8);
    const stop = new AbortController();
    const interrupted = pass(config, now, { signal: stop.signal });
    while (sim.stats.searchArrivals.length < 5) await new Promise((r) => setTimeout(r, 5));
    stop.abort();
    const first = await interrupted;
    expect(first.exitCode).toBe(1);
    const second = await pass(config, now);
    expect(second.exitCode).toBe(0);
    expectExact(config.db, sim, sim.options.appid, (e) => cstDayOf(e.timestamp) === today);
    // One call to see the total is unchanged, then only the pages not read yet (the request in flight
    // when the first run stopped may not have been stored). Reading from the start again would cost \`pages\`.
    expect(second.searchCalls).toBeLessThanOrEqual(2 + pages - first.searchCalls);
    expect(second.searchCalls).toBeLessThan(pages - 2);
  });

  it('re-checks a day that keeps logging with one call when what is new fits on the first page', async () => {
    const now = clockFrom(MIDDAY_CST);
    sim = await simulator({ now, perDay: 2000, callsPerMinute: 200 });
    const config = configFor(sim, tempDir(), { WXLOG_CALLS_PER_MINUTE: '49' });
    expect((await pass(config, now)).exitCode).toBe(0);
    const today = sim.retentionDays().at(-1) ?? '';
    expect(sim.countForDay(today)).toBeGreaterThan(400);
    const noon = Math.floor(Date.parse(MIDDAY_CST) / 1000);
    sim.addEntries(today, 6, [noon - 120, noon]);
    const second = await pass(config, now);
    expect(second.result?.entriesNew).toBe(6);
    expect(second.searchCalls).toBe(7);
    expectExact(config.db, sim);
  });

  it('stops re-reading a window once the entries stored account for its total', async () => {
    const now = clockFrom(MIDDAY_CST);
    sim = await simulator({ now, perDay: 1000, callsPerMinute: 200 });
    const config = configFor(sim, tempDir(), { WXLOG_CALLS_PER_MINUTE: '49' });
    expect((await pass(config, now)).exitCode).toBe(0);
    const today = sim.retentionDays().at(-1) ?? '';
    const before = sim.entriesForDay(today);
    expect(before.length).toBeGreaterThan(300);
    expect(before.length).toBeLessThanOrEqual(400);
    // Late entries with the timestamp of the 150th newest land on the second of today's pages.
    const at = before[150]?.timestamp ?? 0;
    const added = sim.addEntries(today, 4, [at, at]);
    const list = sim.entriesForDay(today);
    const deepest = Math.max(...added.map((a) => list.findIndex((e) => JSON.stringify(e) === JSON.stringify(a))));
    const pages = Math.ceil(list.length / 100);
    const needed = Math.floor(deepest / 100) + 1;
    expect(needed).toBeGreaterThan(1);
    expect(needed).toBeLessThan(pages);
    const second = await pass(config, now);
    expect(second.result?.entriesNew).toBe(4);
    // Six unchanged days at one call each, then today's pages only down to the deepest new entry.
    expect(second.searchCalls).toBe(6 + needed);
    expectExact(config.db, sim);
  });

  it('does not call a day complete when this run could not check it', async () => {
    const now = clockFrom(MIDDAY_CST);
    sim = await simulator({ now, perDay: 100 });
    const config = configFor(sim, tempDir());
    expect((await pass(config, now)).exitCode).toBe(0);
    sim.addEntries(sim.retentionDays()[1] ?? '', 25);
    // Every answer is malformed: nothing can be checked, and nothing is stored.
    sim.setFaults({ rate: 1, kinds: ['bad-shape', 'html'] });
    const broken = await pass(config, now, {
      client: { retryPolicy: { transient: { retries: 1, baseDelayMs: 1, maxDelayMs: 2 } } },
    });
    expect(broken.exitCode).toBe(1);
    expect(broken.summary).toMatch(/^incomplete/);
    expect(broken.result?.days.every((d) => d.error !== null && d.windowsIncomplete >= 1)).toBe(true);
    sim.setFaults(undefined);
    expect((await pass(config, now)).exitCode).toBe(0);
    expectExact(config.db, sim);
  });
});
