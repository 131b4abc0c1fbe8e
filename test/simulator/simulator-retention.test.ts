import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/simulator.js';
import { addCstDays } from '../../src/wechat/cst-day.js';
import { NOW, TODAY, pageAll, search, stableToken, wholeDay } from './helpers.js';

// Retention is not certain (SPEC §1): 7 days in the parameter table, "three" in the 200002 text, 7, 14
// or 30 by We分析 plan. servedDays is what the server answers for, dataDays what it still holds.

let own: Simulator[] = [];
afterEach(async () => {
  await Promise.all(own.map((s) => s.close()));
  own = [];
});

async function startOwn(
  options: SimulatorOptions,
  now: () => number = () => NOW,
): Promise<{ s: Simulator; t: string }> {
  const s = await startSimulator({ now, perDay: 50, callsPerMinute: 100_000, ...options });
  own.push(s);
  return { s, t: await stableToken(s) };
}

const daysAgo = (n: number): string => addCstDays(TODAY, -n);

describe('servedDays', () => {
  it('serves the last N CST days and refuses older ones with WeChat-like wording', async () => {
    const { s, t } = await startOwn({ servedDays: 3 });
    expect(s.retentionDays()).toEqual([daysAgo(2), daysAgo(1), TODAY]);
    expect(s.dataDays()).toEqual(s.retentionDays());
    for (const d of s.retentionDays()) expect((await search(s, t, wholeDay(d))).errcode).toBe(0);
    expect(await search(s, t, wholeDay(daysAgo(3)))).toEqual({
      errcode: 200002,
      errmsg: '参数错误,date只能是最近3天的日期',
    });
    expect(s.entriesForDay(daysAgo(3))).toEqual([]);
    expect(s.countForDay(daysAgo(3))).toBe(0);
    expect(s.allEntries()).toHaveLength(s.retentionDays().reduce((n, d) => n + s.countForDay(d), 0));
  });

  it('names the default of 7 days in the refusal too', async () => {
    const { s, t } = await startOwn({});
    expect((await search(s, t, wholeDay(daysAgo(7)))).errmsg).toBe('参数错误,date只能是最近7天的日期');
  });

  it('serves 30 days when the plan keeps 30', async () => {
    const { s, t } = await startOwn({ servedDays: 30 });
    expect(s.retentionDays()).toHaveLength(30);
    expect(s.retentionDays()[0]).toBe(daysAgo(29));
    expect((await search(s, t, wholeDay(daysAgo(29)))).data?.total).toBe(50);
    expect((await search(s, t, wholeDay(daysAgo(30)))).errcode).toBe(200002);
  });
});

describe('dataDays and setServedDays()', () => {
  it('refuses days that hold data but are not served, and serves them after a plan upgrade', async () => {
    const { s, t } = await startOwn({ servedDays: 7, dataDays: 14 });
    expect(s.dataDays()).toHaveLength(14);
    expect(s.dataDays()[0]).toBe(daysAgo(13));
    expect((await search(s, t, wholeDay(daysAgo(10)))).errcode).toBe(200002);
    expect(s.entriesForDay(daysAgo(10))).toEqual([]);

    s.setServedDays(14);
    expect(s.options.servedDays).toBe(14);
    expect(s.retentionDays()).toEqual(s.dataDays());
    const { list, totals } = await pageAll(s, t, wholeDay(daysAgo(10)), 20);
    expect(totals[0]).toBe(50);
    expect(list).toEqual(s.entriesForDay(daysAgo(10)));
    expect(s.countForDay(daysAgo(13))).toBe(50);
    // The same data a simulator serving 14 days from the start has.
    const { s: wide } = await startOwn({ servedDays: 14 });
    expect(JSON.stringify(s.allEntries())).toBe(JSON.stringify(wide.allEntries()));
  });

  it('stops serving days after a plan downgrade', async () => {
    const { s, t } = await startOwn({});
    expect((await search(s, t, wholeDay(daysAgo(5)))).errcode).toBe(0);
    s.setServedDays(3);
    expect(await search(s, t, wholeDay(daysAgo(5)))).toEqual({
      errcode: 200002,
      errmsg: '参数错误,date只能是最近3天的日期',
    });
    expect(s.retentionDays()).toHaveLength(3);
    expect(s.countForDay(daysAgo(5))).toBe(0);
    s.setServedDays(7);
    expect((await search(s, t, wholeDay(daysAgo(5)))).data?.total).toBe(50);
  });

  it('serves days beyond dataDays as empty: their logs were gone before the upgrade', async () => {
    const { s, t } = await startOwn({ servedDays: 7, dataDays: 10 });
    s.setServedDays(30);
    expect(await search(s, t, wholeDay(daysAgo(20)))).toEqual({
      errcode: 0,
      errmsg: 'ok',
      data: { list: [], total: 0 },
    });
    expect(s.countForDay(daysAgo(20))).toBe(0);
    expect(s.countForDay(daysAgo(9))).toBe(50);
    expect(s.allEntries()).toHaveLength(9 * 50 + s.countForDay(TODAY));
  });

  it('keeps the data of every data day as the calendar moves on (eviction follows dataDays)', async () => {
    let now = NOW;
    const { s, t } = await startOwn({ servedDays: 7, dataDays: 10 }, () => now);
    const day = daysAgo(8);
    expect(s.addEntries(day, 4)).toHaveLength(4);
    now += 86_400_000;
    // A new today is laid out, which drops days whose data is gone; day is 9 days old now, still held.
    expect((await search(s, t, wholeDay(addCstDays(TODAY, 1)))).errcode).toBe(0);
    s.setServedDays(10);
    expect(s.countForDay(day)).toBe(54);
    // Ten days old: out of the data, though a plan of 11 days would serve it.
    now += 86_400_000;
    s.setServedDays(11);
    expect((await search(s, t, wholeDay(day))).data).toEqual({ list: [], total: 0 });
    expect(s.countForDay(day)).toBe(0);
  });

  it.each([0, 61, 2.5, Number.NaN])('setServedDays(%s) is refused with a message naming servedDays', async (days) => {
    const { s } = await startOwn({});
    expect(() => s.setServedDays(days)).toThrow(/`servedDays`/);
    expect(s.retentionDays()).toHaveLength(7);
  });
});
