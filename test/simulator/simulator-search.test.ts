import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/simulator.js';
import { addCstDays, cstDayBounds } from '../../src/wechat/cst-day.js';
import type { LogEntry } from '../../src/wechat/types.js';
import { NOW, TODAY, YESTERDAY, pageAll, search, stableToken, wholeDay } from './helpers.js';

// One shared simulator for the read-only checks; tests that change data or limits start their own.
let shared: Simulator;
let token: string;
let own: Simulator | undefined;

beforeAll(async () => {
  shared = await startSimulator({ now: () => NOW, perDay: 400, callsPerMinute: 100_000 });
  token = await stableToken(shared);
});
afterAll(async () => {
  await shared.close();
});
afterEach(async () => {
  await own?.close();
  own = undefined;
});

async function startOwn(options: SimulatorOptions): Promise<{ s: Simulator; t: string }> {
  own = await startSimulator({ now: () => NOW, perDay: 100, callsPerMinute: 100_000, ...options });
  return { s: own, t: await stableToken(own) };
}

const day = YESTERDAY;
const { begin, end } = cstDayBounds(day);

/** Identity of an entry as a test sees it: the whole JSON. */
const json = (entries: LogEntry[]): string[] => entries.map((e) => JSON.stringify(e));

describe('userlog_search parameters', () => {
  it('answers a valid query with errcode 0, errmsg ok and data {list, total}', async () => {
    const res = await fetch(
      `${shared.url}/wxaapi/userlog/userlog_search?access_token=${encodeURIComponent(token)}&date=${day}&begintime=${begin}&endtime=${end}`,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['data', 'errcode', 'errmsg']);
    expect(body['errcode']).toBe(0);
    expect(body['errmsg']).toBe('ok');
    const data = body['data'] as { list: unknown[]; total: number };
    expect(Object.keys(data).sort()).toEqual(['list', 'total']);
    expect(data.total).toBe(400);
  });

  it('defaults start to 0 and limit to 20', async () => {
    const res = await search(shared, token, wholeDay(day));
    expect(res.data?.list).toHaveLength(20);
    expect(json(res.data?.list ?? [])).toEqual(json(shared.entriesForDay(day).slice(0, 20)));
  });

  it('accepts every day of retention and nothing else', async () => {
    const days = shared.retentionDays();
    expect(days).toEqual(['20240609', '20240610', '20240611', '20240612', '20240613', '20240614', '20240615']);
    for (const d of days) expect((await search(shared, token, wholeDay(d))).errcode).toBe(0);
    expect((await search(shared, token, wholeDay(addCstDays(days[0] ?? '', -1)))).errcode).toBe(200002);
    expect((await search(shared, token, wholeDay(addCstDays(TODAY, 1)))).errcode).toBe(200002);
  });

  it.each<[string, Record<string, string | number | undefined>]>([
    ['date missing', { date: undefined, begintime: begin, endtime: end }],
    ['date with dashes', { date: '2024-06-14', begintime: begin, endtime: end }],
    ['date not a day', { date: '20240631', begintime: begin, endtime: end }],
    ['begintime missing', { date: day, begintime: undefined, endtime: end }],
    ['endtime missing', { date: day, begintime: begin, endtime: undefined }],
    ['begintime not an integer', { date: day, begintime: `${begin}.5`, endtime: end }],
    ['endtime not a number', { date: day, begintime: begin, endtime: 'soon' }],
    ['begintime before the day', { date: day, begintime: begin - 1, endtime: end }],
    ['endtime after the day', { date: day, begintime: begin, endtime: end + 1 }],
    ['times of another day', { date: day, begintime: begin + 86_400, endtime: end + 86_400 }],
    ['endtime equal to begintime', { date: day, begintime: begin + 10, endtime: begin + 10 }],
    ['endtime before begintime', { date: day, begintime: begin + 10, endtime: begin + 5 }],
    ['negative start', { ...wholeDay(day), start: -1 }],
    ['fractional start', { ...wholeDay(day), start: 1.5 }],
    ['limit 0', { ...wholeDay(day), limit: 0 }],
    ['limit not a number', { ...wholeDay(day), limit: 'ten' }],
    ['level not a number', { ...wholeDay(day), level: 'warn' }],
  ])('answers 200002 for %s', async (_name, params) => {
    const res = await search(shared, token, params);
    expect(res.errcode).toBe(200002);
    expect(res.data).toBeUndefined();
  });

  it('treats an empty filter as no filter', async () => {
    const res = await search(shared, token, {
      ...wholeDay(day),
      url: '',
      id: '',
      traceId: '',
      filterMsg: '',
      level: '',
    });
    expect(res.data?.total).toBe(400);
  });

  it('checks the token first, then the rate, then the parameters', async () => {
    const { s, t } = await startOwn({ callsPerMinute: 1 });
    const bad = { date: '1999', begintime: 'x', endtime: 'y' };
    expect((await search(s, 'no-such-token', bad)).errcode).toBe(40001);
    expect((await search(s, t, bad)).errcode).toBe(200002); // the one allowed call
    expect((await search(s, t, bad)).errcode).toBe(200010);
    expect((await search(s, 'no-such-token', bad)).errcode).toBe(40001);
  });
});

describe('userlog_search results', () => {
  it('lists newest first and pages by offset consistently with any page size', async () => {
    const expected = json(shared.entriesForDay(day));
    expect(expected).toHaveLength(400);
    const stamps = shared.entriesForDay(day).map((e) => e.timestamp);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeLessThanOrEqual(stamps[i - 1] ?? 0);
    for (const limit of [7, 100, 1000]) {
      const { list, totals } = await pageAll(shared, token, wholeDay(day), limit);
      expect(json(list)).toEqual(expected);
      expect(new Set(totals)).toEqual(new Set([400]));
    }
  });

  it('returns the same page on repeated calls, ties included', async () => {
    const window = { ...wholeDay(day), start: 0, limit: 400 };
    const first = await search(shared, token, window);
    const second = await search(shared, token, window);
    expect(second).toEqual(first);
  });

  it('includes both begintime and endtime', async () => {
    const all = shared.entriesForDay(day);
    // A second that has entries, and the window [that second, next second].
    const t = all[Math.floor(all.length / 2)]?.timestamp ?? 0;
    const expected = all.filter((e) => e.timestamp >= t && e.timestamp <= t + 1);
    const { list } = await pageAll(shared, token, { date: day, begintime: t, endtime: t + 1 });
    expect(json(list)).toEqual(json(expected));
    const lower = await pageAll(shared, token, { date: day, begintime: t - 1, endtime: t });
    expect(lower.list.filter((e) => e.timestamp === t)).toHaveLength(all.filter((e) => e.timestamp === t).length);
  });

  it('serves entries on the first and the last second of a day', async () => {
    const first = await search(shared, token, { date: day, begintime: begin, endtime: begin + 1 });
    expect(first.data?.list.some((e) => e.timestamp === begin)).toBe(true);
    const last = await search(shared, token, { date: day, begintime: end - 1, endtime: end });
    expect(last.data?.list.some((e) => e.timestamp === end)).toBe(true);
  });

  it('serves today only up to now', async () => {
    const nowSeconds = NOW / 1000;
    const { list, totals } = await pageAll(shared, token, wholeDay(TODAY), 500);
    expect(list.length).toBeGreaterThan(0);
    expect(list.every((e) => e.timestamp <= nowSeconds)).toBe(true);
    expect(totals[0]).toBe(shared.countForDay(TODAY));
    expect(shared.countForDay(TODAY)).toBeLessThan(400);
  });

  it('lets entries of today appear as the calendar clock moves, leaving earlier ones unchanged', async () => {
    let now = NOW;
    own = await startSimulator({ now: () => now, perDay: 300 });
    const before = own.entriesForDay(TODAY);
    now += 3 * 3600_000;
    const after = own.entriesForDay(TODAY);
    expect(after.length).toBeGreaterThan(before.length);
    expect(json(after.filter((e) => e.timestamp <= NOW / 1000))).toEqual(json(before));
  });

  describe('filters', () => {
    let all: LogEntry[];
    beforeAll(() => {
      all = shared.entriesForDay(day);
    });

    async function filtered(params: Record<string, string | number>): Promise<LogEntry[]> {
      return (await pageAll(shared, token, { ...wholeDay(day), ...params }, 100)).list;
    }

    function nonTrivial(expected: LogEntry[]): void {
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(all.length);
    }

    it.each([4, 8])('level %s returns entries whose level is at least that', async (level) => {
      const expected = all.filter((e) => (e.level ?? 0) >= level);
      nonTrivial(expected);
      expect(json(await filtered({ level }))).toEqual(json(expected));
    });

    it('url matches exactly', async () => {
      const url = all.find((e) => e.url !== undefined)?.url ?? '';
      const expected = all.filter((e) => e.url === url);
      nonTrivial(expected);
      expect(json(await filtered({ url }))).toEqual(json(expected));
      expect(await filtered({ url: url.slice(0, -1) })).toEqual([]);
    });

    it('id matches the OpenID exactly', async () => {
      const id = all[3]?.id ?? '';
      const expected = all.filter((e) => e.id === id);
      nonTrivial(expected);
      expect(json(await filtered({ id }))).toEqual(json(expected));
    });

    it('traceId matches exactly', async () => {
      const traceId = all.find((e, i) => all.findIndex((o) => o.traceid === e.traceid) !== i)?.traceid ?? '';
      const expected = all.filter((e) => e.traceid === traceId);
      expect(expected.length).toBeGreaterThan(1);
      expect(json(await filtered({ traceId }))).toEqual(json(expected));
    });

    it('filterMsg matches a substring of the entry filterMsg', async () => {
      const expected = all.filter((e) => e.filterMsg?.includes('ReportTime'));
      nonTrivial(expected);
      expect(new Set(expected.map((e) => e.filterMsg)).size).toBeGreaterThan(1);
      expect(json(await filtered({ filterMsg: 'ReportTime' }))).toEqual(json(expected));
    });

    it('combines filters with AND and pages the filtered list', async () => {
      const expected = all.filter((e) => (e.level ?? 0) >= 4 && e.filterMsg !== undefined);
      const withFilter = all.filter((e) => e.filterMsg !== undefined);
      const substring = withFilter[0]?.filterMsg?.slice(1, 4) ?? '';
      const expectedBoth = expected.filter((e) => e.filterMsg?.includes(substring));
      expect(expectedBoth.length).toBeGreaterThan(1);
      expect((await pageAll(shared, token, { ...wholeDay(day), level: 4, filterMsg: substring }, 2)).list).toEqual(
        expectedBoth,
      );
    });

    it('restricts the time window for filtered queries too', async () => {
      const mid = begin + 43_200;
      const expected = all.filter((e) => (e.level ?? 0) >= 4 && e.timestamp >= mid && e.timestamp <= end);
      nonTrivial(expected);
      expect(json((await pageAll(shared, token, { date: day, begintime: mid, endtime: end, level: 4 })).list)).toEqual(
        json(expected),
      );
    });
  });
});

describe('page-size and offset caps', () => {
  it('rejects limit above maxPageSize with 200002 in reject mode', async () => {
    const { s, t } = await startOwn({ maxPageSize: 30 });
    expect((await search(s, t, { ...wholeDay(day), limit: 31 })).errcode).toBe(200002);
    expect((await search(s, t, { ...wholeDay(day), limit: 30 })).data?.list).toHaveLength(30);
  });

  it('returns at most maxPageSize in truncate mode, with the true total', async () => {
    const { s, t } = await startOwn({ maxPageSize: 30, pageSizeCapMode: 'truncate' });
    const res = await search(s, t, { ...wholeDay(day), limit: 100 });
    expect(res.data?.list).toHaveLength(30);
    expect(res.data?.total).toBe(100);
    expect(json((await pageAll(s, t, wholeDay(day), 100)).list)).toEqual(json(s.entriesForDay(day)));
  });

  it('answers start >= maxOffset with an empty list and the true total in empty mode', async () => {
    const { s, t } = await startOwn({ maxOffset: 40 });
    const reachable = await search(s, t, { ...wholeDay(day), start: 39, limit: 5 });
    expect(reachable.data?.list).toHaveLength(5);
    const beyond = await search(s, t, { ...wholeDay(day), start: 40, limit: 5 });
    expect(beyond.errcode).toBe(0);
    expect(beyond.data).toEqual({ list: [], total: 100 });
  });

  it('answers start >= maxOffset with 200002 in reject mode', async () => {
    const { s, t } = await startOwn({ maxOffset: 40, offsetCapMode: 'reject' });
    expect((await search(s, t, { ...wholeDay(day), start: 40 })).errcode).toBe(200002);
    expect((await search(s, t, { ...wholeDay(day), start: 20 })).errcode).toBe(0);
  });
});

describe('data that changes', () => {
  it('holds late entries back until releaseLate()', async () => {
    const { s, t } = await startOwn({ lateFraction: 0.2, perDay: 200 });
    const before = (await search(s, t, wholeDay(day))).data?.total ?? 0;
    const countsBefore = s.retentionDays().map((d) => s.countForDay(d));
    expect(before).toBeLessThan(190);
    expect(before).toBeGreaterThan(120);
    expect(s.countForDay(day)).toBe(before);
    const earlier = s.entriesForDay(day);
    const released = s.releaseLate();
    expect(released).toBeGreaterThan(0);
    const after = s.entriesForDay(day);
    expect((await search(s, t, wholeDay(day))).data?.total).toBe(200);
    // The late ones slot in among the others, anywhere in the day, the rest unchanged.
    const afterJson = new Set(json(after));
    expect(json(earlier).every((e) => afterJson.has(e))).toBe(true);
    const newOnes = after.filter((e) => !new Set(json(earlier)).has(JSON.stringify(e)));
    expect(Math.max(...newOnes.map((e) => e.timestamp)) - Math.min(...newOnes.map((e) => e.timestamp))).toBeGreaterThan(
      6 * 3600,
    );
    const countsAfter = s.retentionDays().map((d) => s.countForDay(d));
    expect(released).toBe(countsAfter.reduce((a, b) => a + b, 0) - countsBefore.reduce((a, b) => a + b, 0));
    expect(s.releaseLate()).toBe(0);
  });

  it('addEntries() makes new entries visible at once, inside the given range', async () => {
    const { s, t } = await startOwn({});
    const from = begin + 3600;
    const to = begin + 7200;
    const added = s.addEntries(day, 5, [from, to]);
    expect(added).toHaveLength(5);
    expect(added.every((e) => e.timestamp >= from && e.timestamp <= to)).toBe(true);
    const { list, totals } = await pageAll(s, t, wholeDay(day), 30);
    expect(totals[0]).toBe(105);
    const served = new Set(json(list));
    expect(json(added).every((e) => served.has(e))).toBe(true);
    expect(json(list)).toEqual(json(s.entriesForDay(day)));
  });

  it("addEntries() without a range keeps today's new entries at or before now", async () => {
    const { s } = await startOwn({});
    const added = s.addEntries(TODAY, 20);
    expect(added.every((e) => e.timestamp <= NOW / 1000 && e.timestamp >= cstDayBounds(TODAY).begin)).toBe(true);
  });

  it('addDuringPaging() inserts entries into the window after served pages with start > 0', async () => {
    const { s, t } = await startOwn({});
    const window = { date: day, begintime: begin + 6 * 3600, endtime: begin + 20 * 3600 };
    s.addDuringPaging(3, 2);
    const p0 = await search(s, t, { ...window, start: 0, limit: 10 });
    const total = p0.data?.total ?? 0;
    expect((await search(s, t, { ...window, start: 0, limit: 10 })).data?.total).toBe(total); // start 0: no insert
    const p1 = await search(s, t, { ...window, start: 10, limit: 10 });
    expect(p1.data?.total).toBe(total); // the insert follows the page
    expect((await search(s, t, { ...window, start: 20, limit: 10 })).data?.total).toBe(total + 3);
    expect((await search(s, t, { ...window, start: 30, limit: 10 })).data?.total).toBe(total + 6);
    expect((await search(s, t, { ...window, start: 40, limit: 10 })).data?.total).toBe(total + 6); // used up
    // All six landed inside the window.
    expect(s.countForDay(day)).toBe(106);
    expect((await search(s, t, window)).data?.total).toBe(total + 6);
  });
});
