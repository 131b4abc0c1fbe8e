import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { NOW, TODAY, getJson, search, stableToken, wholeDay } from './helpers.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const sleepUntil = async (epochMs: number): Promise<void> => {
  const wait = epochMs - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
};

describe('userlog_search rate limit', () => {
  it("answers 200010 with WeChat's message beyond callsPerMinute in the interval", async () => {
    sim = await startSimulator({ now: () => NOW, perDay: 20, callsPerMinute: 3, intervalMs: 60_000 });
    const token = await stableToken(sim);
    const codes: number[] = [];
    let refusal: unknown;
    for (let i = 0; i < 5; i++) {
      const res = await search(sim, token, wholeDay(TODAY));
      codes.push(res.errcode);
      if (res.errcode !== 0) refusal = res;
    }
    expect(codes).toEqual([0, 0, 0, 200010, 200010]);
    expect(refusal).toEqual({ errcode: 200010, errmsg: '操作过于频繁,目前限制每分钟50次' });
    expect(sim.stats.searchServed).toBe(3);
    expect(sim.stats.searchRateLimited).toBe(2);
    expect(sim.stats.searchArrivals).toHaveLength(5);
  });

  it('slides: a request is allowed again once earlier ones leave the interval, refused ones included', async () => {
    const intervalMs = 1500;
    sim = await startSimulator({ now: () => NOW, perDay: 20, callsPerMinute: 4, intervalMs });
    const token = await stableToken(sim);
    const call = async (): Promise<number> => (await search(sim as Simulator, token, wholeDay(TODAY))).errcode;
    expect([await call(), await call()]).toEqual([0, 0]);
    const firstTwoArrived = sim.stats.searchArrivals[1] ?? 0;
    await sleepUntil((sim.stats.searchArrivals[0] ?? 0) + 700);
    // Two more fill the interval; a fifth is refused and still occupies a place in it.
    expect([await call(), await call(), await call()]).toEqual([0, 0, 200010]);
    // Once the first two have left the interval, only the three later arrivals remain: one place is free.
    await sleepUntil(firstTwoArrived + intervalMs + 150);
    expect([await call(), await call()]).toEqual([0, 200010]);
    expect(sim.stats.searchArrivals).toHaveLength(7);
  });

  it('limits only userlog_search and only requests with a valid token', async () => {
    sim = await startSimulator({ now: () => NOW, perDay: 20, callsPerMinute: 2 });
    const token = await stableToken(sim);
    for (let i = 0; i < 5; i++) expect((await search(sim, 'bogus', wholeDay(TODAY))).errcode).toBe(40001);
    for (let i = 0; i < 5; i++) {
      expect(
        (await getJson(`${sim.url}/wxaapi/log/get_scene?access_token=${encodeURIComponent(token)}`))['errcode'],
      ).toBe(0);
    }
    expect([
      (await search(sim, token, wholeDay(TODAY))).errcode,
      (await search(sim, token, wholeDay(TODAY))).errcode,
    ]).toEqual([0, 0]);
    expect((await search(sim, token, wholeDay(TODAY))).errcode).toBe(200010);
    // Every search arrival is recorded, whatever its answer.
    expect(sim.stats.searchArrivals).toHaveLength(8);
    expect(sim.stats.sceneRequests).toBe(5);
  });

  it('reports the most arrivals seen in any sliding interval', async () => {
    sim = await startSimulator({ now: () => NOW, perDay: 20, callsPerMinute: 100 });
    const token = await stableToken(sim);
    for (let i = 0; i < 6; i++) await search(sim, token, wholeDay(TODAY));
    expect(sim.maxSearchesInAnyInterval(60_000)).toBe(6);
    const arrivals = sim.stats.searchArrivals;
    expect(arrivals).toHaveLength(6);
    expect(sim.maxSearchesInAnyInterval(0.001)).toBe(
      Math.max(...arrivals.map((a) => arrivals.filter((b) => b === a).length)),
    );
  });
});
