import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { NOW, YESTERDAY, askTokenService, search, stableTokenOf, wholeDay } from './helpers.js';

// Enough that laying out every app's days up front would take hundreds of megabytes.
const PER_DAY = 2000;
let sim: Simulator | undefined;

// A collection before each reading, so that the pages just served (garbage) do not count as kept.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapUsed = (): number => {
  gc();
  return process.memoryUsage().heapUsed;
};
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('a thousand apps', () => {
  it('costs next to nothing until an app is used: each app is made on first use', async () => {
    const before = heapUsed();
    sim = await startSimulator({ now: () => NOW, appCount: 1000, perDay: PER_DAY });
    // Made, not used: each app is its AppID, secret and settings (about 300 bytes).
    expect(heapUsed() - before).toBeLessThan(10 * 1024 * 1024);
    const apps = sim.apps();
    expect(apps).toHaveLength(1000);
    expect(new Set(apps.map((a) => a.appid)).size).toBe(1000);
    // Ten apps spread over the list, used through both ways to get a token.
    for (let i = 0; i < 1000; i += 100) {
      const app = apps[i];
      if (!app) throw new Error(`no app ${i}`);
      const token =
        i % 200 === 0
          ? await stableTokenOf(sim, app)
          : ((await askTokenService(sim, app.appid)).body?.['access_token'] as string);
      const page = await search(sim, token, { ...wholeDay(YESTERDAY), limit: 100 });
      expect(page.data?.total).toBe(PER_DAY);
      // As it went over the wire: JSON, in which -0 is 0.
      expect(page.data?.list).toEqual(
        JSON.parse(JSON.stringify(sim.entriesForDay(YESTERDAY, app.appid).slice(0, 100))),
      );
    }
    const grown = heapUsed() - before;
    // Generous: laying out every app's seven days would take far more; untouched apps hold their settings only.
    expect(grown).toBeLessThan(50 * 1024 * 1024);
    expect(sim.stats.searchServed).toBe(10);
    expect(sim.statsFor(apps[999]?.appid ?? '').searchArrivals).toEqual([]);
  });
});
