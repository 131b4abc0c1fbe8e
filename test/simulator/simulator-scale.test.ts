import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { cstDayBounds } from '../../src/wechat/cst-day.js';
import { NOW, TODAY, search, stableToken, wholeDay } from './helpers.js';

const PER_DAY = 150_000;
let sim: Simulator;
let token: string;

beforeAll(async () => {
  sim = await startSimulator({ now: () => NOW, perDay: PER_DAY, callsPerMinute: 100_000 });
  token = await stableToken(sim);
});
afterAll(async () => {
  await sim.close();
});

describe('at 150 000 entries a day', () => {
  it('serves pages of every retention day quickly, deep offsets included, in bounded memory', async () => {
    const started = performance.now();
    for (const day of sim.retentionDays()) {
      const first = await search(sim, token, { ...wholeDay(day), limit: 100 });
      expect(first.data?.list).toHaveLength(100);
      if (day !== TODAY) expect(first.data?.total).toBe(PER_DAY);
      const deep = await search(sim, token, { ...wholeDay(day), start: 40_000, limit: 100 });
      expect(deep.data?.list).toHaveLength(100);
      // The deep page continues the order: older than (or tied with) the first page.
      expect(deep.data?.list[0]?.timestamp).toBeLessThanOrEqual(first.data?.list[99]?.timestamp ?? 0);
    }
    expect(performance.now() - started).toBeLessThan(8_000);
    // Later pages cost no layout any more.
    const again = performance.now();
    for (let i = 0; i < 20; i++) await search(sim, token, { ...wholeDay('20240612'), start: i * 5000, limit: 100 });
    expect(performance.now() - again).toBeLessThan(1_500);
    expect(process.memoryUsage().rss).toBeLessThan(300 * 1024 * 1024);
  });

  it('counts without building entries', () => {
    const started = performance.now();
    let total = 0;
    for (const day of sim.retentionDays()) total += sim.countForDay(day);
    expect(performance.now() - started).toBeLessThan(50);
    expect(total).toBeGreaterThan(6 * PER_DAY);
  });

  it('answers filtered queries over a whole day by scanning, within a second or so', async () => {
    const started = performance.now();
    const res = await search(sim, token, { ...wholeDay('20240612'), level: 8, url: 'pages/cart/cart', limit: 100 });
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(res.data?.total).toBeGreaterThan(100);
    expect(res.data?.list.every((e) => e.url === 'pages/cart/cart' && (e.level ?? 0) >= 8)).toBe(true);
  });

  it('pages a busy minute to the end with counts that add up', async () => {
    const { begin } = cstDayBounds('20240613');
    const window = { date: '20240613', begintime: begin + 20 * 3600, endtime: begin + 20 * 3600 + 59 };
    const first = await search(sim, token, { ...window, limit: 1 });
    const total = first.data?.total ?? 0;
    expect(total).toBeGreaterThan(50);
    const seen: number[] = [];
    for (let start = 0; start < total; start += 40) {
      const page = await search(sim, token, { ...window, start, limit: 40 });
      seen.push(...(page.data?.list ?? []).map((e) => e.timestamp));
    }
    expect(seen).toHaveLength(total);
    expect(seen.every((t) => t >= window.begintime && t <= window.endtime)).toBe(true);
  });
});
