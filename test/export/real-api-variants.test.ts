import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { ResultOrder, Simulator, SimulatorOptions } from '../../src/simulator/simulator.js';
import { cstDayBounds } from '../../src/wechat/cst-day.js';
import { exactProblems, lowerBoundCalls } from '../helpers/served-rows.js';
import { expectExact } from '../helpers/exact.js';
import { clockFrom, configFor, fastClient, MIDDAY_CST, pass, simulator } from '../helpers/export-fixture.js';
import { tempDir } from '../helpers/temp-dir.js';

// wxlog must be exact whatever the real API does where its document is silent (docs/real-api.md): every
// variant the simulator can play, alone and in combination, compared with what the simulator can serve.

let sim: Simulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function rows<T>(db: string, sql: string): T[] {
  const handle = new BetterSqlite3(db, { readonly: true });
  try {
    return handle.prepare(sql).all() as T[];
  } finally {
    handle.close();
  }
}

/**
 * Runs passes until one exits 0 having found nothing new (at most `max`): entries that arrive while the
 * last page of a pass is read are the next pass's to find. Returns the exit codes.
 */
async function passUntilComplete(config: ReturnType<typeof configFor>, now: () => number, max = 5): Promise<number[]> {
  const codes: number[] = [];
  for (let i = 0; i < max; i++) {
    const outcome = await pass(config, now);
    codes.push(outcome.exitCode);
    if (outcome.exitCode === 0 && outcome.result?.entriesNew === 0) break;
  }
  return codes;
}

const ORDERS: ResultOrder[] = ['newest', 'oldest', 'shuffled'];
const ENDTIMES = ['inclusive', 'exclusive'] as const;

describe('exact under every order and endtime rule, with windows that must be split', () => {
  for (const order of ORDERS) {
    for (const endtime of ENDTIMES) {
      it(`order ${order}, endtime ${endtime}, offsets capped at 200`, async () => {
        const now = clockFrom(MIDDAY_CST);
        sim = await simulator({ now, perDay: 700, order, endtime, maxOffset: 200, callsPerMinute: 400 });
        // A burst: 500 entries in twelve seconds, so that windows are cut down to a few seconds, and cuts
        // fall on seconds that hold entries (what an exclusive endtime would lose). Two seconds of it hold
        // fewer than the 200 the server serves of one window, so every window can still be read in full.
        const day = sim.retentionDays()[3] ?? '';
        const burst = cstDayBounds(day).begin + 12 * 3600;
        sim.addEntries(day, 500, [burst, burst + 11]);
        const config = configFor(sim, tempDir(), { WXLOG_CALLS_PER_MINUTE: '49' });
        const first = await pass(config, now);
        expect(first.result?.errors).toEqual([]);
        expect(first.exitCode).toBe(0);
        expectExact(config.db, sim);
        // Splitting costs calls (unordered results cannot say which part was read), never entries; nothing
        // new costs one call a day.
        expect(first.searchCalls).toBeLessThanOrEqual(lowerBoundCalls(sim, 100) * 4);
        const second = await pass(config, now);
        expect(second.exitCode).toBe(0);
        expect(second.searchCalls).toBe(7);
        const learnt = rows<{ value: string }>(config.db, "SELECT value FROM state WHERE key LIKE 'endtime:%'");
        expect(learnt).toEqual([{ value: endtime }]);
      });
    }
  }
});

describe('exact under combinations', () => {
  it('oldest first with an offset cap that answers 200002', async () => {
    const now = clockFrom(MIDDAY_CST);
    sim = await simulator({
      now,
      perDay: 900,
      order: 'oldest',
      maxOffset: 300,
      offsetCapMode: 'reject',
      callsPerMinute: 400,
    });
    const config = configFor(sim, tempDir(), { WXLOG_CALLS_PER_MINUTE: '49' });
    expect((await pass(config, now)).exitCode).toBe(0);
    expectExact(config.db, sim);
  });

  it('unordered results with entries arriving while a window is paged', async () => {
    const now = clockFrom(MIDDAY_CST);
    sim = await simulator({ now, perDay: 600, order: 'shuffled', callsPerMinute: 400 });
    sim.addDuringPaging(7, 6);
    const config = configFor(sim, tempDir(), { WXLOG_CALLS_PER_MINUTE: '49' });
    const codes = await passUntilComplete(config, now);
    expect(codes.at(-1)).toBe(0);
    expectExact(config.db, sim);
  });

  it('an exclusive endtime, splits and entries arriving while paging: no entry lost at a cut', async () => {
    const now = clockFrom(MIDDAY_CST);
    sim = await simulator({ now, perDay: 800, endtime: 'exclusive', maxOffset: 150, callsPerMinute: 400 });
    sim.addDuringPaging(5, 4);
    const config = configFor(sim, tempDir(), { WXLOG_CALLS_PER_MINUTE: '49' });
    const codes = await passUntilComplete(config, now);
    expect(codes.at(-1)).toBe(0);
    expectExact(config.db, sim);
    // Windows were cut, and at least one cut second holds entries: the case an exclusive endtime loses.
    const cuts = rows<{ endtime: number }>(
      config.db,
      'SELECT endtime FROM windows WHERE parent_id IS NOT NULL AND endtime < (SELECT max(endtime) FROM windows w2 WHERE w2.date = windows.date)',
    );
    expect(cuts.length).toBeGreaterThan(0);
    const stamps = new Set(sim.allEntries().map((e) => e.timestamp));
    expect(cuts.some((c) => stamps.has(c.endtime))).toBe(true);
  });

  it('three served days of seven with data, late entries, then a plan that serves all seven', async () => {
    const now = clockFrom(MIDDAY_CST);
    sim = await simulator({ now, perDay: 300, servedDays: 3, dataDays: 7, lateFraction: 0.1 });
    const dir = tempDir();
    const config = configFor(sim, dir);
    const first = await pass(config, now);
    // Days the server will not serve are not incomplete: the run is complete.
    expect(first.exitCode).toBe(0);
    expect(first.result?.daysUnavailable).toBe(4);
    expect(first.summary).toMatch(/7 days \(4 not served by WeChat\)/);
    expectExact(config.db, sim);
    const served = new Set(sim.retentionDays());
    const roots = rows<{ date: string; status: string }>(
      config.db,
      'SELECT date, status FROM windows WHERE parent_id IS NULL ORDER BY date',
    );
    expect(roots.filter((r) => !served.has(r.date)).map((r) => r.status)).toEqual([
      'unavailable',
      'unavailable',
      'unavailable',
      'unavailable',
    ]);

    // The refused days cost no call on the same CST day: one call per served day.
    const before = sim.stats.searchArrivals.length;
    expect((await pass(config, now)).exitCode).toBe(0);
    expect(sim.stats.searchArrivals.length - before).toBe(3);

    // Late entries arrive on the served days.
    expect(sim.releaseLate()).toBeGreaterThan(0);
    expect((await passUntilComplete(config, now)).at(-1)).toBe(0);
    expectExact(config.db, sim);

    // A plan change: the next CST day re-probes the newest refused day once, then reads the older ones.
    const tomorrow = (): number => now() + 86_400_000;
    await sim.close();
    sim = await simulator({ now: tomorrow, perDay: 300, servedDays: 7, dataDays: 7 });
    const next = configFor(sim, dir);
    const upgraded = await pass(next, tomorrow);
    expect(upgraded.exitCode).toBe(0);
    expect(upgraded.result?.daysUnavailable).toBe(0);
  });

  it('fourteen served days of thirty looked back: sixteen recorded unavailable, the rest exact', async () => {
    const now = clockFrom(MIDDAY_CST);
    sim = await simulator({ now, perDay: 60, servedDays: 14, dataDays: 30 });
    const config = configFor(sim, tempDir(), { WXLOG_LOOKBACK_DAYS: '30' });
    const first = await pass(config, now);
    expect(first.exitCode).toBe(0);
    expect(first.result?.daysUnavailable).toBe(16);
    expectExact(config.db, sim);
    const before = sim.stats.searchArrivals.length;
    await pass(config, now);
    expect(sim.stats.searchArrivals.length - before).toBe(14);
  });
});

describe('shape drift', () => {
  const drift: SimulatorOptions['shapeDrift'] = {
    objectMsg: 0.1,
    stringMsg: 0.1,
    numericStrings: 0.1,
    unknownFields: 0.1,
    missingTimestamp: 0.03,
  };

  it('keeps every entry of every shape, losslessly and searchable, and counts the unexpected ones', async () => {
    const now = clockFrom(MIDDAY_CST);
    sim = await simulator({ now, perDay: 400, shapeDrift: drift });
    const config = configFor(sim, tempDir());
    const first = await pass(config, now);
    expect(first.result?.errors).toEqual([]);
    expect(first.exitCode).toBe(0);
    expect(exactProblems(config.db, sim)).toEqual([]);
    const served = sim.allEntries() as unknown as Record<string, unknown>[];
    const odd = served.filter(
      (e) =>
        'network' in e ||
        !('timestamp' in e) ||
        typeof e['timestamp'] === 'string' ||
        (e['msg'] as { msg?: unknown }[]).some((m) => !Array.isArray(m.msg)),
    );
    expect(odd.length).toBeGreaterThan(50);
    expect(first.result?.unexpectedShape).toBeGreaterThanOrEqual(odd.length);
    expect(first.summary).toMatch(/of an undocumented shape/);
    expect(rows<{ n: number }>(config.db, 'SELECT unexpected_shape AS n FROM runs')[0]?.n).toBe(
      first.result?.unexpectedShape,
    );

    // An object msg is searchable by its values, a string msg as it is.
    const objectMsg = served.find((e) =>
      (e['msg'] as { msg?: unknown }[]).some((m) => typeof m.msg === 'object' && !Array.isArray(m.msg)),
    );
    const firstArg =
      objectMsg && Object.values((objectMsg['msg'] as { msg: Record<string, unknown> }[])[0]?.msg ?? {})[0];
    expect(typeof firstArg).toBe('string');
    const found = rows<{ n: number }>(
      config.db,
      `SELECT count(*) AS n FROM log_messages WHERE text LIKE '%' || ${JSON.stringify(firstArg).replace(/'/g, "''").replace(/^"|"$/g, "'")} || '%'`,
    );
    expect(found[0]?.n).toBeGreaterThan(0);

    // Entries without a timestamp are filed under the narrowest window that served them, inside its day.
    const untimed = rows<{ timestamp: number; begintime: number; endtime: number; date: string }>(
      config.db,
      'SELECT e.timestamp, w.begintime, w.endtime, w.date FROM log_entries e JOIN windows w ON w.id = e.window_id',
    );
    expect(untimed.length).toBe(served.filter((e) => !('timestamp' in e)).length);
    for (const u of untimed) {
      expect(u.timestamp).toBe(u.begintime);
      const { begin, end } = cstDayBounds(u.date);
      expect(u.begintime).toBeGreaterThanOrEqual(begin);
      expect(u.endtime).toBeLessThanOrEqual(end);
    }

    // Read again: nothing is stored twice, whatever its shape.
    const second = await pass(config, now);
    expect(second.exitCode).toBe(0);
    expect(second.result?.entriesNew).toBe(0);
    expect(exactProblems(config.db, sim)).toEqual([]);
  });

  it('stays exact with drift, splits and an exclusive endtime together', async () => {
    const now = clockFrom(MIDDAY_CST);
    sim = await simulator({
      now,
      perDay: 700,
      shapeDrift: { ...drift, missingTimestamp: 0 },
      endtime: 'exclusive',
      order: 'shuffled',
      maxOffset: 200,
      callsPerMinute: 400,
    });
    const config = configFor(sim, tempDir(), { WXLOG_CALLS_PER_MINUTE: '49' });
    expect((await pass(config, now)).exitCode).toBe(0);
    expect(exactProblems(config.db, sim)).toEqual([]);
  });
});

describe('page ceilings', () => {
  const cases: [number, 'reject' | 'truncate'][] = [
    [50, 'reject'],
    [100, 'truncate'],
    [300, 'truncate'],
    [500, 'reject'],
  ];
  for (const [ceiling, mode] of cases) {
    it(`a server that ${mode === 'reject' ? 'refuses' : 'silently caps'} pages above ${ceiling}: exact, within 10% of the least calls`, async () => {
      const now = clockFrom(MIDDAY_CST);
      sim = await simulator({ now, perDay: 2000, maxPageSize: ceiling, pageSizeCapMode: mode, callsPerMinute: 1000 });
      // The default page size (1000), not the tests' usual 100.
      const config = configFor(sim, tempDir(), { WXLOG_PAGE_SIZE: '1000', WXLOG_CALLS_PER_MINUTE: '49' });
      // Timeouts long enough that a loaded machine causes no retry: the figure is about the search alone.
      const first = await pass(config, now, {
        client: { ...fastClient, timeouts: { connectMs: 10_000, headersMs: 10_000, bodyMs: 10_000 } },
      });
      expect(first.exitCode).toBe(0);
      expectExact(config.db, sim);
      expect(first.searchCalls / lowerBoundCalls(sim, ceiling)).toBeLessThanOrEqual(1.1);
    });
  }
});
