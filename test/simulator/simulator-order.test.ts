import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/simulator.js';
import { cstDayBounds } from '../../src/wechat/cst-day.js';
import type { LogEntry } from '../../src/wechat/types.js';
import { NOW, YESTERDAY, pageAll, search, stableToken, wholeDay } from './helpers.js';

// The order of `list` and whether `endtime` is inclusive are undocumented (SPEC §1): each variant
// must hold together over HTTP exactly as entriesForDay() describes it.

const day = YESTERDAY;
const { begin, end } = cstDayBounds(day);
const json = (entries: LogEntry[]): string[] => entries.map((e) => JSON.stringify(e));

let newest: Simulator;
let own: Simulator[] = [];

beforeAll(async () => {
  newest = await startSimulator({ now: () => NOW, perDay: 300, callsPerMinute: 100_000 });
});
afterAll(async () => {
  await newest.close();
});
afterEach(async () => {
  await Promise.all(own.map((s) => s.close()));
  own = [];
});

async function startOwn(options: SimulatorOptions): Promise<{ s: Simulator; t: string }> {
  const s = await startSimulator({ now: () => NOW, perDay: 300, callsPerMinute: 100_000, ...options });
  own.push(s);
  return { s, t: await stableToken(s) };
}

/** How many pairs of neighbours go back in time: 0 for oldest first, about half for no order. */
function descents(entries: LogEntry[]): number {
  let n = 0;
  for (let i = 1; i < entries.length; i++) if ((entries[i]?.timestamp ?? 0) < (entries[i - 1]?.timestamp ?? 0)) n += 1;
  return n;
}

describe("order: 'oldest'", () => {
  it('lists the exact reverse of newest first, ties included, and pages it with any page size', async () => {
    const { s, t } = await startOwn({ order: 'oldest' });
    const expected = json(s.entriesForDay(day));
    expect(expected).toEqual(json(newest.entriesForDay(day)).reverse());
    for (const limit of [7, 100, 1000])
      expect(json((await pageAll(s, t, wholeDay(day), limit)).list)).toEqual(expected);
  });

  it('orders filtered queries oldest first too', async () => {
    const { s, t } = await startOwn({ order: 'oldest' });
    const expected = s.entriesForDay(day).filter((e) => (e.level ?? 0) >= 4);
    expect(expected.length).toBeGreaterThan(10);
    expect(json((await pageAll(s, t, { ...wholeDay(day), level: 4 }, 9)).list)).toEqual(json(expected));
  });
});

describe("order: 'shuffled'", () => {
  it('serves the same entries as newest first, in an order unrelated to time', async () => {
    const { s } = await startOwn({ order: 'shuffled' });
    const shuffled = s.entriesForDay(day);
    expect([...json(shuffled)].sort()).toEqual([...json(newest.entriesForDay(day))].sort());
    expect(descents(shuffled)).toBeGreaterThan(shuffled.length * 0.3);
    expect(descents(shuffled)).toBeLessThan(shuffled.length * 0.7);
  });

  it('gives the same page on every call and pages consistently with any page size', async () => {
    const { s, t } = await startOwn({ order: 'shuffled' });
    const page = { ...wholeDay(day), start: 40, limit: 30 };
    const first = await search(s, t, page);
    expect(await search(s, t, page)).toEqual(first);
    const expected = json(s.entriesForDay(day));
    expect(json(first.data?.list ?? [])).toEqual(expected.slice(40, 70));
    for (const limit of [7, 100, 1000])
      expect(json((await pageAll(s, t, wholeDay(day), limit)).list)).toEqual(expected);
  });

  it('is the same order for the same seed in another simulator, and another order for another seed', async () => {
    const { s: a } = await startOwn({ order: 'shuffled' });
    const { s: b } = await startOwn({ order: 'shuffled' });
    const { s: c } = await startOwn({ order: 'shuffled', seed: 2 });
    expect(json(b.entriesForDay(day))).toEqual(json(a.entriesForDay(day)));
    const reseeded = c.entriesForDay(day).map((e) => e.timestamp);
    expect(reseeded).not.toEqual(a.entriesForDay(day).map((e) => e.timestamp));
  });

  it('orders a smaller window and a filtered query as the whole day orders them', async () => {
    const { s, t } = await startOwn({ order: 'shuffled' });
    const all = s.entriesForDay(day);
    const mid = begin + 12 * 3600;
    const inWindow = all.filter((e) => e.timestamp >= mid && e.timestamp <= end);
    expect(json((await pageAll(s, t, { date: day, begintime: mid, endtime: end }, 13)).list)).toEqual(json(inWindow));
    const warnings = all.filter((e) => (e.level ?? 0) >= 4);
    expect(json((await pageAll(s, t, { ...wholeDay(day), level: 4 }, 11)).list)).toEqual(json(warnings));
  });

  it('puts an added entry at a place of its own, leaving the others in their order', async () => {
    const { s, t } = await startOwn({ order: 'shuffled' });
    const before = json((await pageAll(s, t, wholeDay(day), 100)).list);
    const added = json(s.addEntries(day, 3));
    const after = json((await pageAll(s, t, wholeDay(day), 100)).list);
    expect(after).toHaveLength(before.length + 3);
    expect(after.filter((e) => !added.includes(e))).toEqual(before);
    expect(after).toEqual(json(s.entriesForDay(day)));
    const places = added.map((e) => after.indexOf(e));
    expect(places.every((p) => p >= 0)).toBe(true);
    // Not simply appended or prepended: the places are spread over the list.
    expect(places.some((p) => p > 3 && p < after.length - 4)).toBe(true);
  });

  it('serves released late entries at once, though windows are cached', async () => {
    const { s, t } = await startOwn({ order: 'shuffled', lateFraction: 0.2 });
    const before = (await search(s, t, wholeDay(day))).data?.total ?? 0;
    expect(s.releaseLate()).toBeGreaterThan(0);
    const after = await pageAll(s, t, wholeDay(day), 100);
    expect(after.totals[0]).toBe(300);
    expect(before).toBeLessThan(300);
    expect(json(after.list)).toEqual(json(s.entriesForDay(day)));
  });

  it('stays cheap at 150 000 entries a day: pages of one window cost no sorting after the first', async () => {
    const { s, t } = await startOwn({ order: 'shuffled', perDay: 150_000 });
    const started = performance.now();
    const first = await search(s, t, { ...wholeDay(day), limit: 100 });
    expect(first.data?.total).toBe(150_000);
    expect(performance.now() - started).toBeLessThan(3_000);
    const again = performance.now();
    for (let i = 0; i < 20; i++) await search(s, t, { ...wholeDay(day), start: i * 7000, limit: 100 });
    expect(performance.now() - again).toBeLessThan(1_500);
  });
});

describe("endtime: 'exclusive'", () => {
  it('leaves out entries at exactly endtime, keeps those at begintime, and counts accordingly', async () => {
    const { s, t } = await startOwn({ endtime: 'exclusive' });
    const all = newest.entriesForDay(day);
    const second = all[Math.floor(all.length / 2)]?.timestamp ?? 0;
    const at = (ts: number): LogEntry[] => all.filter((e) => e.timestamp === ts);
    expect(at(second).length).toBeGreaterThan(0);
    const window = await pageAll(s, t, { date: day, begintime: second, endtime: second + 1 });
    expect(json(window.list)).toEqual(json(at(second)));
    expect(window.totals[0]).toBe(at(second).length);
    const before = await search(s, t, { date: day, begintime: second - 1, endtime: second, limit: 1000 });
    expect(before.data?.list.some((e) => e.timestamp === second)).toBe(false);
    expect(before.data?.total).toBe(at(second - 1).length);
  });

  it('never serves the last second of a day, and the test-side view says so', async () => {
    const { s, t } = await startOwn({ endtime: 'exclusive' });
    const lastSecond = newest.entriesForDay(day).filter((e) => e.timestamp === end);
    expect(lastSecond.length).toBeGreaterThan(0);
    expect(
      (await search(s, t, { date: day, begintime: end - 1, endtime: end })).data?.list.some((e) => e.timestamp === end),
    ).toBe(false);
    // endtime may not leave the day, so no valid request reaches 23:59:59.
    expect((await search(s, t, { date: day, begintime: end - 1, endtime: end + 1 })).errcode).toBe(200002);
    const served = s.entriesForDay(day);
    expect(served.some((e) => e.timestamp === end)).toBe(false);
    expect(served).toHaveLength(300 - lastSecond.length);
    expect(s.countForDay(day)).toBe(served.length);
    expect(json((await pageAll(s, t, wholeDay(day), 100)).list)).toEqual(json(served));
  });

  it('inserts addDuringPaging() entries where the paged window counts them', async () => {
    const { s, t } = await startOwn({ endtime: 'exclusive', perDay: 50 });
    // A one-second window: the only second it serves is begintime.
    const window = { date: day, begintime: begin + 3600, endtime: begin + 3601 };
    s.addDuringPaging(4);
    const total = (await search(s, t, window)).data?.total ?? 0;
    await search(s, t, { ...window, start: 1 });
    expect((await search(s, t, window)).data?.total).toBe(total + 4);
  });

  it('still requires endtime > begintime', async () => {
    const { s, t } = await startOwn({ endtime: 'exclusive' });
    expect((await search(s, t, { date: day, begintime: begin + 5, endtime: begin + 5 })).errcode).toBe(200002);
  });
});
