import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/simulator.js';
import { NOW, TODAY, getJson, postJson, search, stableToken, wholeDay, type Json } from './helpers.js';

let sim: Simulator | undefined;

async function start(options: SimulatorOptions = {}): Promise<Simulator> {
  sim = await startSimulator({ now: () => NOW, perDay: 20, ...options });
  return sim;
}

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function classicUrl(s: Simulator, params: Record<string, string>): string {
  return `${s.url}/cgi-bin/token?${new URLSearchParams(params).toString()}`;
}

async function classicToken(s: Simulator): Promise<string> {
  const body = await getJson(
    classicUrl(s, { grant_type: 'client_credential', appid: s.options.appid, secret: s.options.secret }),
  );
  if (typeof body['access_token'] !== 'string') throw new Error(JSON.stringify(body));
  return body['access_token'];
}

/** errcode of one search call with `token` (0 when served). */
async function useToken(s: Simulator, token: string): Promise<number> {
  return (await search(s, token, wholeDay(TODAY))).errcode;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('POST /cgi-bin/stable_token', () => {
  it('returns an access token with its lifetime in seconds', async () => {
    const s = await start();
    const body = await postJson(`${s.url}/cgi-bin/stable_token`, {
      grant_type: 'client_credential',
      appid: s.options.appid,
      secret: s.options.secret,
    });
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in']);
    expect(body['expires_in']).toBe(7200);
    expect(typeof body['access_token']).toBe('string');
    expect((body['access_token'] as string).length).toBeGreaterThanOrEqual(64);
    expect(s.stats.tokenRequests).toEqual({ stable: 1, classic: 0, forceRefresh: 0 });
  });

  it.each<[string, Json, number]>([
    ['missing appid', { grant_type: 'client_credential', secret: 'simulator-secret' }, 41002],
    ['missing secret', { grant_type: 'client_credential', appid: 'wxd0c0ffee12345678' }, 41004],
    ['wrong grant_type', { grant_type: 'password', appid: 'wxd0c0ffee12345678', secret: 'simulator-secret' }, 40002],
    ['missing grant_type', { appid: 'wxd0c0ffee12345678', secret: 'simulator-secret' }, 40002],
    [
      'wrong appid',
      { grant_type: 'client_credential', appid: 'wx0000000000000000', secret: 'simulator-secret' },
      40013,
    ],
    ['wrong secret', { grant_type: 'client_credential', appid: 'wxd0c0ffee12345678', secret: 'nope' }, 40125],
  ])('answers %s with HTTP 200 and errcode %s', async (_name, body, errcode) => {
    const s = await start();
    const res = await fetch(`${s.url}/cgi-bin/stable_token`, { method: 'POST', body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as Json;
    expect(answer['errcode']).toBe(errcode);
    expect(typeof answer['errmsg']).toBe('string');
    expect(answer['access_token']).toBeUndefined();
  });

  it('answers a body that is not JSON with an error, not a token', async () => {
    const s = await start();
    const answer = await postJson(`${s.url}/cgi-bin/stable_token`, 'grant_type=client_credential');
    expect(answer['errcode']).not.toBe(0);
    expect(answer['access_token']).toBeUndefined();
  });

  it('returns the same token while it is valid, with the remaining lifetime', async () => {
    const s = await start({ tokenTtlMs: 10_000 });
    const first = await postJson(`${s.url}/cgi-bin/stable_token`, {
      grant_type: 'client_credential',
      appid: s.options.appid,
      secret: s.options.secret,
    });
    await sleep(1100);
    const second = await postJson(`${s.url}/cgi-bin/stable_token`, {
      grant_type: 'client_credential',
      appid: s.options.appid,
      secret: s.options.secret,
    });
    expect(second['access_token']).toBe(first['access_token']);
    expect(first['expires_in']).toBe(10);
    expect(second['expires_in']).toBeLessThan(10);
    expect(await useToken(s, first['access_token'] as string)).toBe(0);
  });

  it('force_refresh issues a new token and invalidates the previous stable one (40001)', async () => {
    const s = await start();
    const old = await stableToken(s);
    const fresh = await stableToken(s, { force_refresh: true });
    expect(fresh).not.toBe(old);
    expect(await useToken(s, old)).toBe(40001);
    expect(await useToken(s, fresh)).toBe(0);
    // Normal mode now hands out the refreshed token.
    expect(await stableToken(s)).toBe(fresh);
    expect(s.stats.tokenRequests.forceRefresh).toBe(1);
  });

  it('allows forceRefreshPerDay force refreshes, then answers 45009', async () => {
    const s = await start({ forceRefreshPerDay: 3 });
    for (let i = 0; i < 3; i++) await stableToken(s, { force_refresh: true });
    const refused = await postJson(`${s.url}/cgi-bin/stable_token`, {
      grant_type: 'client_credential',
      appid: s.options.appid,
      secret: s.options.secret,
      force_refresh: true,
    });
    expect(refused['errcode']).toBe(45009);
    // Normal mode still works after the quota is spent.
    expect(await useToken(s, await stableToken(s))).toBe(0);
  });

  it('counts the force-refresh quota per CST day of the calendar clock', async () => {
    let now = Date.UTC(2024, 5, 15, 15, 59, 0); // 23:59 CST
    sim = await startSimulator({ now: () => now, perDay: 5, forceRefreshPerDay: 1 });
    await stableToken(sim, { force_refresh: true });
    const refused = await postJson(`${sim.url}/cgi-bin/stable_token`, {
      grant_type: 'client_credential',
      appid: sim.options.appid,
      secret: sim.options.secret,
      force_refresh: true,
    });
    expect(refused['errcode']).toBe(45009);
    now += 2 * 60_000; // 00:01 CST the next day
    await expect(stableToken(sim, { force_refresh: true })).resolves.toMatch(/./);
  });

  it('issues a new token once the current one has expired', async () => {
    const s = await start({ tokenTtlMs: 300 });
    const first = await stableToken(s);
    await sleep(400);
    expect(await useToken(s, first)).toBe(42001);
    const second = await stableToken(s);
    expect(second).not.toBe(first);
    expect(await useToken(s, second)).toBe(0);
  });
});

describe('GET /cgi-bin/token', () => {
  it.each<[string, Record<string, string>, number]>([
    ['missing appid', { grant_type: 'client_credential', secret: 'simulator-secret' }, 41002],
    ['missing secret', { grant_type: 'client_credential', appid: 'wxd0c0ffee12345678' }, 41004],
    ['wrong grant_type', { grant_type: 'x', appid: 'wxd0c0ffee12345678', secret: 'simulator-secret' }, 40002],
    ['wrong appid', { grant_type: 'client_credential', appid: 'wxbad', secret: 'simulator-secret' }, 40013],
    ['wrong secret', { grant_type: 'client_credential', appid: 'wxd0c0ffee12345678', secret: 'bad' }, 40125],
  ])('answers %s with errcode %s', async (_name, params, errcode) => {
    const s = await start();
    const res = await fetch(classicUrl(s, params));
    expect(res.status).toBe(200);
    expect(((await res.json()) as Json)['errcode']).toBe(errcode);
  });

  it('issues a new token on every call; the previous one lives classicOverlapMs more', async () => {
    const s = await start({ classicOverlapMs: 1000 });
    const first = await classicToken(s);
    const second = await classicToken(s);
    expect(second).not.toBe(first);
    expect(await useToken(s, first)).toBe(0);
    await sleep(1150);
    expect(await useToken(s, first)).toBe(40001);
    expect(await useToken(s, second)).toBe(0);
    expect(s.stats.tokenRequests.classic).toBe(2);
  });

  it('keeps classic and stable tokens independent of each other', async () => {
    const s = await start({ classicOverlapMs: 0 });
    const stable = await stableToken(s);
    const classic = await classicToken(s);
    await classicToken(s); // invalidates `classic` at once (no overlap) but not the stable token
    expect(await useToken(s, classic)).toBe(40001);
    expect(await useToken(s, stable)).toBe(0);
    const classicNow = await classicToken(s);
    await stableToken(s, { force_refresh: true }); // invalidates `stable` but not the classic token
    expect(await useToken(s, stable)).toBe(40001);
    expect(await useToken(s, classicNow)).toBe(0);
  });
});

describe('access_token on API calls', () => {
  it('answers 41001 without a token, 40001 for an unknown one', async () => {
    const s = await start();
    const missing = await getJson(`${s.url}/wxaapi/log/get_scene`);
    expect(missing['errcode']).toBe(41001);
    const empty = await getJson(`${s.url}/wxaapi/log/get_scene?access_token=`);
    expect(empty['errcode']).toBe(41001);
    expect(await useToken(s, 'not-a-token')).toBe(40001);
  });

  it('expires a token after tokenMaxUses calls with it (42001)', async () => {
    const s = await start({ tokenMaxUses: 3 });
    const token = await stableToken(s);
    expect([await useToken(s, token), await useToken(s, token), await useToken(s, token)]).toEqual([0, 0, 0]);
    expect(await useToken(s, token)).toBe(42001);
    // The stable endpoint notices and hands out a fresh token.
    const fresh = await stableToken(s);
    expect(fresh).not.toBe(token);
    expect(await useToken(s, fresh)).toBe(0);
  });

  it('expireTokens() makes every token answer 42001', async () => {
    const s = await start();
    const stable = await stableToken(s);
    const classic = await classicToken(s);
    s.expireTokens();
    expect(await useToken(s, stable)).toBe(42001);
    expect(await useToken(s, classic)).toBe(42001);
    const scenes = await getJson(`${s.url}/wxaapi/log/get_scene?access_token=${encodeURIComponent(stable)}`);
    expect(scenes['errcode']).toBe(42001);
  });
});
