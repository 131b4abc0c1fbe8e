import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { NOW, YESTERDAY, getJson, search, searchUrl, stableToken, wholeDay } from './helpers.js';

// latencyMs: every request is handled that long after it arrived, as a server a cloud region away answers
// (the PostgreSQL workers bench runs at 200 ms).

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await work();
  return { value, ms: performance.now() - t0 };
}

describe('latencyMs', () => {
  it('answers every kind of request no sooner than latencyMs after it was sent, and answers it as without', async () => {
    sim = await startSimulator({ now: () => NOW, perDay: 20, latencyMs: 250, appCount: 1 });
    const [app] = sim.apps();
    const token = await timed(() =>
      getJson(`${sim!.url}/cgi-bin/token?grant_type=client_credential&appid=${app!.appid}&secret=${app!.secret}`),
    );
    expect(token.ms).toBeGreaterThanOrEqual(245);
    const accessToken = token.value['access_token'] as string;
    const page = await timed(() =>
      getJson(searchUrl(sim!, { access_token: accessToken, ...wholeDay(YESTERDAY), limit: 100 })),
    );
    expect(page.ms).toBeGreaterThanOrEqual(245);
    expect(page.value['errcode']).toBe(0);
    expect((page.value['data'] as { list: unknown[] }).list).toEqual(sim.entriesForDay(YESTERDAY, app!.appid));
    const service = await timed(() => getJson(sim!.tokenServiceUrl.replace('{appid}', app!.appid)));
    expect(service.ms).toBeGreaterThanOrEqual(245);
    expect(typeof service.value['access_token']).toBe('string');
    const missing = await timed(() => fetch(`${sim!.url}/nowhere`));
    expect(missing.ms).toBeGreaterThanOrEqual(245);
    expect(missing.value.status).toBe(404);
  });

  it('delays requests side by side, not one after another', async () => {
    sim = await startSimulator({ now: () => NOW, perDay: 20, latencyMs: 300 });
    const token = await stableToken(sim);
    const all = await timed(() =>
      Promise.all(Array.from({ length: 10 }, () => search(sim!, token, { ...wholeDay(YESTERDAY), limit: 10 }))),
    );
    for (const answer of all.value) expect(answer.errcode).toBe(0);
    expect(all.ms).toBeGreaterThanOrEqual(295);
    // Ten at once take one latency, not ten (generous for a loaded machine).
    expect(all.ms).toBeLessThan(3 * 300);
  });

  it('answers at once by default', async () => {
    sim = await startSimulator({ now: () => NOW, perDay: 20 });
    expect(sim.options.latencyMs).toBe(0);
    const token = await stableToken(sim);
    // The median of a few requests: a single one may be slowed by the machine, not by the simulator.
    const times: number[] = [];
    for (let i = 0; i < 5; i++)
      times.push((await timed(() => search(sim!, token, { ...wholeDay(YESTERDAY), limit: 10 }))).ms);
    expect(times.sort((a, b) => a - b)[2]).toBeLessThan(150);
  });

  it('refuses a latency that is not a whole number of milliseconds >= 0', async () => {
    for (const latencyMs of [-1, 1.5, Number.NaN, Infinity])
      await expect(startSimulator({ latencyMs })).rejects.toThrow(/latencyMs/);
  });

  it('stops waiting when the client goes away or the simulator closes', async () => {
    sim = await startSimulator({ now: () => NOW, perDay: 20, latencyMs: 60_000 });
    const pending = fetch(`${sim.url}/cgi-bin/token`).then(
      () => 'answered',
      () => 'failed',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = await timed(() => sim!.close());
    expect(closed.ms).toBeLessThan(5000);
    expect(await pending).toBe('failed');
  });
});
