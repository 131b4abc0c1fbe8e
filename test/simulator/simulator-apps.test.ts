import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/simulator.js';
import { cstDayOf } from '../../src/wechat/cst-day.js';
import {
  NOW,
  TODAY,
  YESTERDAY,
  getJson,
  pageAll,
  postJson,
  search,
  stableToken,
  stableTokenOf,
  wholeDay,
  type Json,
} from './helpers.js';

const sims: Simulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

async function start(options: SimulatorOptions): Promise<Simulator> {
  const sim = await startSimulator({ now: () => NOW, perDay: 30, ...options });
  sims.push(sim);
  return sim;
}

/** The `i`th app of `sim` (a test error when there is none). */
function appOf(sim: Simulator, i: number): { appid: string; secret: string } {
  const app = sim.apps()[i];
  if (!app) throw new Error(`the simulator has no app ${i}`);
  return app;
}

const A = { appid: 'wxaaaaaaaaaaaaaaaa', secret: 'secret-a' };
const B = { appid: 'wxbbbbbbbbbbbbbbbb', secret: 'secret-b' };

describe('many apps', () => {
  it('generates appCount apps with AppIDs and secrets derived from the seed and the index', async () => {
    const one = await start({ appCount: 5, seed: 7 });
    const again = await start({ appCount: 5, seed: 7 });
    const other = await start({ appCount: 5, seed: 8 });
    const apps = one.apps();
    expect(apps).toHaveLength(5);
    for (const app of apps) {
      expect(app.appid).toMatch(/^wx[0-9a-f]{16}$/);
      expect(app.secret).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(new Set(apps.map((a) => a.appid)).size).toBe(5);
    expect(new Set(apps.map((a) => a.secret)).size).toBe(5);
    expect(again.apps()).toEqual(apps);
    expect(other.apps().some((app) => apps.some((a) => a.appid === app.appid))).toBe(false);
    // The default app is the first: options name it, and helpers written for one app use it.
    expect(one.options.appid).toBe(appOf(one, 0).appid);
    expect(one.options.secret).toBe(appOf(one, 0).secret);
  });

  it('lists apps first, then the generated ones, each AppID once', async () => {
    const sim = await start({ apps: [A, B], appCount: 2 });
    const apps = sim.apps();
    expect(apps.slice(0, 2)).toEqual([A, B]);
    expect(apps).toHaveLength(4);
    expect(apps[2]?.appid).toMatch(/^wx[0-9a-f]{16}$/);
    // The generated ones do not depend on what is listed before them.
    expect(apps.slice(2)).toEqual((await start({ appCount: 2 })).apps());
  });

  it("serves each app its own data, different from another app's and the same on every start", async () => {
    const sim = await start({ apps: [A, B] });
    const again = await start({ apps: [A, B] });
    const a = sim.allEntries(A.appid);
    const b = sim.allEntries(B.appid);
    expect(a.length).toBeGreaterThan(100);
    expect(b.length).toBeGreaterThan(100);
    const traceids = new Set(a.map((e) => e.traceid));
    expect(b.filter((e) => traceids.has(e.traceid) && e.traceid !== 'oXu03410akoNqfsrMMswk6Zwwl1U_1570852656')).toEqual(
      [],
    );
    expect(again.allEntries(A.appid)).toEqual(a);
    expect(again.allEntries(B.appid)).toEqual(b);
    // Without an appid, the default app: the first.
    expect(sim.allEntries()).toEqual(a);
    expect(sim.entriesForDay(YESTERDAY, B.appid)).toEqual(b.filter((e) => cstDayOf(e.timestamp) === YESTERDAY));
  });

  it('serves over HTTP exactly what entriesForDay(day, appid) says, to that app’s token', async () => {
    const sim = await start({ apps: [A, B] });
    for (const app of [A, B]) {
      const token = await stableTokenOf(sim, app);
      const { list } = await pageAll(sim, token, wholeDay(YESTERDAY), 13);
      expect(list).toEqual(sim.entriesForDay(YESTERDAY, app.appid));
      expect(list).toHaveLength(sim.countForDay(YESTERDAY, app.appid));
    }
  });

  it("takes each app's own perDay and seed; an app's seed gives the data a one-app simulator of that seed serves", async () => {
    const sim = await start({
      apps: [
        { ...A, perDay: 7 },
        { ...B, seed: 99 },
      ],
      perDay: 40,
    });
    const single = await start({ seed: 99, perDay: 40 });
    expect(sim.countForDay(YESTERDAY, A.appid)).toBe(7);
    expect(sim.countForDay(YESTERDAY, B.appid)).toBe(40);
    expect(sim.allEntries(B.appid)).toEqual(single.allEntries());
  });

  it('keeps each app’s added entries, late entries and paging inserts to that app', async () => {
    const sim = await start({ apps: [A, B], lateFraction: 0.2 });
    const before = sim.countForDay(YESTERDAY, B.appid);
    sim.addEntries(YESTERDAY, 3, undefined, A.appid);
    expect(sim.countForDay(YESTERDAY, B.appid)).toBe(before);
    expect(sim.releaseLate(B.appid)).toBeGreaterThan(0);
    expect(sim.releaseLate(B.appid)).toBe(0);
    expect(sim.releaseLate(A.appid)).toBeGreaterThan(0);
    sim.addDuringPaging(2, 1, B.appid);
    const token = await stableTokenOf(sim, A);
    const first = await search(sim, token, { ...wholeDay(YESTERDAY), start: 5, limit: 5 });
    const second = await search(sim, token, { ...wholeDay(YESTERDAY), start: 10, limit: 5 });
    expect(second.data?.total).toBe(first.data?.total);
    const tokenB = await stableTokenOf(sim, B);
    const firstB = await search(sim, tokenB, { ...wholeDay(YESTERDAY), start: 5, limit: 5 });
    const secondB = await search(sim, tokenB, { ...wholeDay(YESTERDAY), start: 10, limit: 5 });
    expect(secondB.data?.total).toBe((firstB.data?.total ?? 0) + 2);
  });

  it('refuses an AppID it does not serve in every method that takes one', async () => {
    const sim = await start({ apps: [A] });
    const message = /Expected `appid` to be one of the simulator's apps, got "wxnope"/;
    expect(() => sim.statsFor('wxnope')).toThrow(message);
    expect(() => sim.entriesForDay(YESTERDAY, 'wxnope')).toThrow(message);
    expect(() => sim.countForDay(YESTERDAY, 'wxnope')).toThrow(message);
    expect(() => sim.allEntries('wxnope')).toThrow(message);
    expect(() => sim.addEntries(YESTERDAY, 1, undefined, 'wxnope')).toThrow(message);
    expect(() => sim.setDailyQuota(1, 'wxnope')).toThrow(message);
    expect(() => sim.setTokenServiceFailure('wxnope', 'stale')).toThrow(message);
    expect(() => sim.maxSearchesInAnyInterval(1000, 'wxnope')).toThrow(message);
  });
});

describe('per-app tokens', () => {
  it("answers a token request with another app's secret 40125, an unknown AppID 40013", async () => {
    const sim = await start({ apps: [A, B] });
    const stable = (body: Json) => postJson(`${sim.url}/cgi-bin/stable_token`, body);
    const classic = (params: Record<string, string>) =>
      getJson(`${sim.url}/cgi-bin/token?${new URLSearchParams(params).toString()}`);
    const grant = { grant_type: 'client_credential' };
    expect(await stable({ ...grant, appid: A.appid, secret: B.secret })).toMatchObject({ errcode: 40125 });
    expect(await classic({ ...grant, appid: B.appid, secret: A.secret })).toMatchObject({ errcode: 40125 });
    expect(await stable({ ...grant, appid: 'wxd0c0ffee12345678', secret: 'simulator-secret' })).toMatchObject({
      errcode: 40013,
    });
    expect(await classic({ ...grant, appid: 'wx0000000000000000', secret: A.secret })).toMatchObject({
      errcode: 40013,
    });
    expect(typeof (await classic({ ...grant, ...B }))['access_token']).toBe('string');
    // Refused requests count for the app they name; one naming no app counts in the totals only.
    expect(sim.statsFor(A.appid).tokenRequests).toEqual({ stable: 1, classic: 0, forceRefresh: 0 });
    expect(sim.statsFor(B.appid).tokenRequests).toEqual({ stable: 0, classic: 2, forceRefresh: 0 });
    expect(sim.stats.tokenRequests).toEqual({ stable: 2, classic: 3, forceRefresh: 0 });
  });

  it("lets a token read only its own app's data: the token decides the app", async () => {
    const sim = await start({ apps: [A, B] });
    const tokenA = await stableTokenOf(sim, A);
    const tokenB = await stableTokenOf(sim, B);
    expect(tokenA).not.toBe(tokenB);
    const page = await search(sim, tokenA, { ...wholeDay(YESTERDAY), limit: 1000 });
    expect(page.data?.list).toEqual(sim.entriesForDay(YESTERDAY, A.appid));
    expect(page.data?.list).not.toEqual(sim.entriesForDay(YESTERDAY, B.appid));
    expect(sim.statsFor(A.appid).searchServed).toBe(1);
    expect(sim.statsFor(B.appid).searchServed).toBe(0);
  });

  it("keeps one app's token refreshes from touching another app's token", async () => {
    const sim = await start({ apps: [A, B], forceRefreshPerDay: 1 });
    const tokenA = await stableTokenOf(sim, A);
    const tokenB = await stableTokenOf(sim, B);
    const refresh = (app: typeof A) =>
      postJson(`${sim.url}/cgi-bin/stable_token`, { grant_type: 'client_credential', ...app, force_refresh: true });
    expect(typeof (await refresh(A))['access_token']).toBe('string');
    expect((await search(sim, tokenA, wholeDay(TODAY))).errcode).toBe(40001);
    expect((await search(sim, tokenB, wholeDay(TODAY))).errcode).toBe(0);
    // The force-refresh allowance is per app too.
    expect(await refresh(A)).toMatchObject({ errcode: 45009 });
    expect(typeof (await refresh(B))['access_token']).toBe('string');
  });

  it('expireTokens() expires the tokens of every app', async () => {
    const sim = await start({ apps: [A, B] });
    const tokens = [await stableTokenOf(sim, A), await stableTokenOf(sim, B)];
    sim.expireTokens();
    for (const token of tokens) expect((await search(sim, token, wholeDay(TODAY))).errcode).toBe(42001);
  });
});

describe('per-app rate limit and quota', () => {
  it('limits each AppID on its own: app A at its limit does not limit app B', async () => {
    const sim = await start({ apps: [{ ...A, callsPerMinute: 2 }, B], callsPerMinute: 4 });
    const tokenA = await stableTokenOf(sim, A);
    const tokenB = await stableTokenOf(sim, B);
    const codes = async (token: string, n: number): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await search(sim, token, wholeDay(TODAY))).errcode);
      return out;
    };
    expect(await codes(tokenA, 3)).toEqual([0, 0, 200010]);
    expect(await codes(tokenB, 5)).toEqual([0, 0, 0, 0, 200010]);
    expect(await codes(tokenA, 1)).toEqual([200010]);
    const a = sim.statsFor(A.appid);
    const b = sim.statsFor(B.appid);
    expect([a.searchArrivals.length, a.searchServed, a.searchRateLimited]).toEqual([4, 2, 2]);
    expect([b.searchArrivals.length, b.searchServed, b.searchRateLimited]).toEqual([5, 4, 1]);
    expect([sim.stats.searchArrivals.length, sim.stats.searchServed, sim.stats.searchRateLimited]).toEqual([9, 6, 3]);
    expect(sim.maxSearchesInAnyInterval(60_000, A.appid)).toBe(4);
    expect(sim.maxSearchesInAnyInterval(60_000, B.appid)).toBe(5);
    expect(sim.maxSearchesInAnyInterval(60_000)).toBe(9);
  });

  it("keeps each app's daily quota, and reports each app's own limits in getApiQuota", async () => {
    const sim = await start({ apps: [{ ...A, dailyQuota: 1, callsPerMinute: 7 }, B], dailyQuota: 5 });
    const tokenA = await stableTokenOf(sim, A);
    const tokenB = await stableTokenOf(sim, B);
    expect((await search(sim, tokenA, wholeDay(TODAY))).errcode).toBe(0);
    expect((await search(sim, tokenA, wholeDay(TODAY))).errcode).toBe(45009);
    expect((await search(sim, tokenB, wholeDay(TODAY))).errcode).toBe(0);
    const quota = (token: string) =>
      postJson(`${sim.url}/cgi-bin/openapi/quota/get?access_token=${encodeURIComponent(token)}`, {
        cgi_path: '/wxaapi/userlog/userlog_search',
      });
    expect(await quota(tokenA)).toMatchObject({
      quota: { daily_limit: 1, used: 1, remain: 0 },
      rate_limit: { call_count: 7, refresh_second: 60 },
    });
    expect(await quota(tokenB)).toMatchObject({
      quota: { daily_limit: 5, used: 1, remain: 4 },
      rate_limit: { call_count: 50, refresh_second: 60 },
    });
    sim.setDailyQuota(3, B.appid);
    expect((await quota(tokenB))['quota']).toEqual({ daily_limit: 3, used: 1, remain: 2 });
    expect((await quota(tokenA))['quota']).toEqual({ daily_limit: 1, used: 1, remain: 0 });
    expect(sim.statsFor(A.appid).quotaRequests).toBe(2);
  });
});

describe('many-apps options', () => {
  it.each<[string, SimulatorOptions, RegExp]>([
    ['apps not a list', { apps: {} as never }, /`apps` to be a list of 1 to 100000 apps/],
    ['no apps', { apps: [] }, /`apps` to be a list of 1 to 100000 apps, got "0 apps"/],
    ['an app without a secret', { apps: [{ appid: 'wx1' } as never] }, /`apps\[0\]\.secret` to be a non-empty string/],
    ['an empty AppID', { apps: [A, { ...B, appid: '' }] }, /`apps\[1\]\.appid` to be a non-empty string/],
    ['a bad perDay', { apps: [{ ...A, perDay: -1 }] }, /`apps\[0\]\.perDay` to be an integer from 0/],
    ['a bad dailyQuota', { apps: [{ ...A, dailyQuota: 1.5 }] }, /`apps\[0\]\.dailyQuota`/],
    ['a bad callsPerMinute', { apps: [{ ...A, callsPerMinute: -2 }] }, /`apps\[0\]\.callsPerMinute`/],
    ['a bad seed', { apps: [{ ...A, seed: 0.5 }] }, /`apps\[0\]\.seed`/],
    [
      'a misspelt field',
      { apps: [{ ...A, perday: 3 } as never] },
      /`apps\[0\]` to be an object with only .*got "perday"/,
    ],
    [
      'an AppID twice',
      { apps: [A, { ...B, appid: A.appid }] },
      /apps with different AppIDs, got "wxaaaaaaaaaaaaaaaa twice"/,
    ],
    ['appid with apps', { apps: [A], appid: 'wx1' }, /`appid` to be left out when `apps` or `appCount` is given/],
    ['secret with appCount', { appCount: 2, secret: 's' }, /`secret` to be left out/],
    ['appCount 0', { appCount: 0 }, /`appCount` to be an integer from 1 to 100000, got 0/],
    ['appCount beyond the most', { apps: [A], appCount: 100_000 }, /`appCount` to be an integer from 1 to 99999/],
    [
      'a failure for an app not served',
      { apps: [A], tokenServiceFailures: { wxnope: 'stale' } },
      /`tokenServiceFailures` to be keyed by the simulator's AppIDs, got "wxnope"/,
    ],
    [
      'an unknown failure',
      { apps: [A], tokenServiceFailures: { [A.appid]: 'http-503' as never } },
      /`tokenServiceFailures.wxaaaaaaaaaaaaaaaa` to be 'http-500', 'stale' or \{ errcode/,
    ],
    [
      'errcode 0 as a failure',
      { apps: [A], tokenServiceFailures: { [A.appid]: { errcode: 0 } } },
      /`tokenServiceFailures.wxaaaaaaaaaaaaaaaa`/,
    ],
  ])('refuses %s with a RangeError naming the option', async (_name, options, message) => {
    await expect(startSimulator({ now: () => NOW, ...options })).rejects.toThrow(RangeError);
    await expect(startSimulator({ now: () => NOW, ...options })).rejects.toThrow(message);
  });

  it('keeps the one-app form as it was: the default app, its token helper, its stats', async () => {
    const sim = await start({});
    expect(sim.apps()).toEqual([{ appid: 'wxd0c0ffee12345678', secret: 'simulator-secret' }]);
    const token = await stableToken(sim);
    expect((await search(sim, token, wholeDay(TODAY))).errcode).toBe(0);
    expect(sim.statsFor('wxd0c0ffee12345678')).toEqual(sim.stats);
  });
});
