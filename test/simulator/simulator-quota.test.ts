import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/simulator.js';
import { cstDayBounds } from '../../src/wechat/cst-day.js';
import { NOW, TODAY, YESTERDAY, type Json, postJson, search, stableToken, wholeDay } from './helpers.js';

// getApiQuota (SPEC §1, "API quota") and the daily quota of userlog_search it reports.

const SEARCH = '/wxaapi/userlog/userlog_search';
let own: Simulator[] = [];
afterEach(async () => {
  await Promise.all(own.map((s) => s.close()));
  own = [];
});

async function startOwn(options: SimulatorOptions = {}): Promise<{ s: Simulator; t: string }> {
  const s = await startSimulator({ now: () => NOW, perDay: 30, ...options });
  own.push(s);
  return { s, t: await stableToken(s) };
}

function quota(s: Simulator, token: string | undefined, body: unknown = { cgi_path: SEARCH }): Promise<Json> {
  const query = token === undefined ? '' : `?access_token=${encodeURIComponent(token)}`;
  return postJson(`${s.url}/cgi-bin/openapi/quota/get${query}`, body);
}

describe('POST /cgi-bin/openapi/quota/get', () => {
  it('reports the daily quota of userlog_search and the simulator rate limit', async () => {
    const { s, t } = await startOwn();
    expect(await quota(s, t)).toEqual({
      errcode: 0,
      errmsg: 'ok',
      quota: { daily_limit: 100_000, used: 0, remain: 100_000 },
      rate_limit: { call_count: 50, refresh_second: 60 },
      component_rate_limit: { call_count: 50, refresh_second: 60 },
    });
    expect(s.stats.quotaRequests).toBe(1);
  });

  it('reports the interval in whole seconds, rounded up', async () => {
    const { s, t } = await startOwn({ callsPerMinute: 7, intervalMs: 1500 });
    const answer = await quota(s, t);
    expect(answer['rate_limit']).toEqual({ call_count: 7, refresh_second: 2 });
    expect(answer['component_rate_limit']).toEqual({ call_count: 7, refresh_second: 2 });
  });

  it('counts only searches answered with errcode 0', async () => {
    const { s, t } = await startOwn({ callsPerMinute: 4 });
    expect((await search(s, t, wholeDay(YESTERDAY))).errcode).toBe(0);
    expect((await search(s, t, { ...wholeDay(YESTERDAY), limit: 0 })).errcode).toBe(200002);
    expect((await search(s, 'bogus', wholeDay(YESTERDAY))).errcode).toBe(40001);
    expect((await search(s, t, wholeDay(TODAY))).errcode).toBe(0);
    expect((await search(s, t, wholeDay(TODAY))).errcode).toBe(0);
    expect((await search(s, t, wholeDay(TODAY))).errcode).toBe(200010);
    expect((await quota(s, t))['quota']).toEqual({ daily_limit: 100_000, used: 3, remain: 99_997 });
  });

  it.each<[string, string | undefined, unknown, Json]>([
    ['an unknown cgi_path', 'token', { cgi_path: '/wxaapi/unknown' }, { errcode: 76021, errmsg: 'cgi_path not found' }],
    ['no cgi_path', 'token', {}, { errcode: 76021, errmsg: 'cgi_path not found' }],
    ['a body that is not JSON', 'token', '{cgi_path:', { errcode: 47001, errmsg: 'data format error' }],
    ['an empty body', 'token', '', { errcode: 47001, errmsg: 'data format error' }],
    ['a JSON array', 'token', [SEARCH], { errcode: 47001, errmsg: 'data format error' }],
    ['no token', undefined, { cgi_path: SEARCH }, { errcode: 41001, errmsg: 'access_token missing' }],
    [
      'a bad token',
      'bogus',
      { cgi_path: SEARCH },
      { errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' },
    ],
  ])('answers %s with the matching error', async (_name, token, body, expected) => {
    const { s, t } = await startOwn();
    expect(await quota(s, token === 'token' ? t : token, body)).toEqual(expected);
    expect(s.stats.quotaRequests).toBe(1);
  });

  it('answers 405 to GET', async () => {
    const { s } = await startOwn();
    expect((await fetch(`${s.url}/cgi-bin/openapi/quota/get`)).status).toBe(405);
  });
});

describe('dailyQuota', () => {
  it("answers 45009 once the day's searches are used up", async () => {
    const { s, t } = await startOwn({ dailyQuota: 3 });
    for (let i = 0; i < 3; i++) expect((await search(s, t, wholeDay(YESTERDAY))).errcode).toBe(0);
    expect(await search(s, t, wholeDay(YESTERDAY))).toEqual({
      errcode: 45009,
      errmsg: 'reach max api daily quota limit',
    });
    expect((await quota(s, t))['quota']).toEqual({ daily_limit: 3, used: 3, remain: 0 });
    expect(s.stats.searchServed).toBe(3);
    // Quota and scenes are other APIs: still answered.
    expect((await quota(s, t))['errcode']).toBe(0);
  });

  it('refuses every search with a quota of 0', async () => {
    const { s, t } = await startOwn({ dailyQuota: 0 });
    expect((await search(s, t, wholeDay(YESTERDAY))).errcode).toBe(45009);
  });

  it('starts counting again at CST midnight of the calendar clock', async () => {
    const lastSecond = cstDayBounds(TODAY).end;
    let now = lastSecond * 1000;
    const s = await startSimulator({ now: () => now, perDay: 30, dailyQuota: 2 });
    own.push(s);
    const t = await stableToken(s);
    for (let i = 0; i < 2; i++) expect((await search(s, t, wholeDay(YESTERDAY))).errcode).toBe(0);
    expect((await search(s, t, wholeDay(YESTERDAY))).errcode).toBe(45009);
    now = (lastSecond + 1) * 1000;
    expect((await quota(s, t))['quota']).toEqual({ daily_limit: 2, used: 0, remain: 2 });
    expect((await search(s, t, wholeDay(TODAY))).errcode).toBe(0);
    expect((await quota(s, t))['quota']).toEqual({ daily_limit: 2, used: 1, remain: 1 });
  });

  it('follows setDailyQuota(): a limit lowered mid-run refuses at once, a raised one serves again', async () => {
    const { s, t } = await startOwn({ dailyQuota: 10 });
    for (let i = 0; i < 3; i++) expect((await search(s, t, wholeDay(YESTERDAY))).errcode).toBe(0);
    s.setDailyQuota(2);
    expect(s.options.dailyQuota).toBe(2);
    expect((await search(s, t, wholeDay(YESTERDAY))).errcode).toBe(45009);
    expect((await quota(s, t))['quota']).toEqual({ daily_limit: 2, used: 3, remain: 0 });
    s.setDailyQuota(4);
    expect((await search(s, t, wholeDay(YESTERDAY))).errcode).toBe(0);
    expect((await search(s, t, wholeDay(YESTERDAY))).errcode).toBe(45009);
    s.setDailyQuota(Infinity);
    expect((await search(s, t, wholeDay(YESTERDAY))).errcode).toBe(0);
  });

  it.each([-1, 1.5, Number.NaN])('setDailyQuota(%s) is refused with a message naming dailyQuota', async (limit) => {
    const { s } = await startOwn();
    expect(() => s.setDailyQuota(limit)).toThrow(/`dailyQuota`/);
  });
});
