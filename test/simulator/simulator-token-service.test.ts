import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/simulator.js';
import { NOW, TODAY, askTokenService, getJson, postJson, search, stableTokenOf, wholeDay } from './helpers.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const A = { appid: 'wxaaaaaaaaaaaaaaaa', secret: 'secret-a' };
const B = { appid: 'wxbbbbbbbbbbbbbbbb', secret: 'secret-b' };

async function start(options: SimulatorOptions = {}): Promise<Simulator> {
  sim = await startSimulator({ now: () => NOW, perDay: 20, apps: [A, B], ...options });
  return sim;
}

/** The token the service answers for `appid` (a test error when it answers none). */
async function serviceToken(s: Simulator, appid: string): Promise<string> {
  const { body } = await askTokenService(s, appid);
  if (typeof body?.['access_token'] !== 'string') throw new Error(`no token: ${JSON.stringify(body)}`);
  return body['access_token'];
}

describe('GET /token-service/token', () => {
  it("answers the app's current stable token with its lifetime, the one stable_token hands out", async () => {
    const s = await start({ tokenTtlMs: 60_000 });
    const { status, body } = await askTokenService(s, A.appid);
    expect(status).toBe(200);
    expect(Object.keys(body ?? {}).sort()).toEqual(['access_token', 'expires_in']);
    expect(body?.['expires_in']).toBe(60);
    const token = body?.['access_token'] as string;
    expect(await stableTokenOf(s, A)).toBe(token);
    expect(await serviceToken(s, A.appid)).toBe(token);
    expect(await serviceToken(s, B.appid)).not.toBe(token);
    // It stays valid: the service never invalidates what others hold.
    const page = await search(s, token, { ...wholeDay(TODAY), limit: 1000 });
    expect(page.errcode).toBe(0);
    expect(page.data?.list).toEqual(s.entriesForDay(TODAY, A.appid));
  });

  it('hands out a new token once the current one is refreshed or expired', async () => {
    const s = await start();
    const first = await serviceToken(s, A.appid);
    const refreshed = await postJson(`${s.url}/cgi-bin/stable_token`, {
      grant_type: 'client_credential',
      ...A,
      force_refresh: true,
    });
    expect(await serviceToken(s, A.appid)).toBe(refreshed['access_token']);
    s.expireTokens();
    const after = await serviceToken(s, A.appid);
    expect([first, refreshed['access_token']]).not.toContain(after);
    expect((await search(s, after, wholeDay(TODAY))).errcode).toBe(0);
  });

  it('answers 40013 for an AppID it does not serve and 41002 without one', async () => {
    const s = await start();
    expect(await askTokenService(s, 'wxnope')).toEqual({
      status: 200,
      body: { errcode: 40013, errmsg: 'invalid appid' },
    });
    expect((await getJson(`${s.url}/token-service/token`))['errcode']).toBe(41002);
    expect((await fetch(`${s.url}/token-service/token?appid=${A.appid}`, { method: 'POST' })).status).toBe(405);
  });

  it('plays an errcode failure, with its errmsg or a default one, for that app only', async () => {
    const s = await start({
      tokenServiceFailures: { [A.appid]: { errcode: 61003, errmsg: 'component is not authorized by this account' } },
    });
    expect(await askTokenService(s, A.appid)).toEqual({
      status: 200,
      body: { errcode: 61003, errmsg: 'component is not authorized by this account' },
    });
    expect(typeof (await serviceToken(s, B.appid))).toBe('string');
    s.setTokenServiceFailure(B.appid, { errcode: -1 });
    expect(await askTokenService(s, B.appid)).toEqual({
      status: 200,
      body: { errcode: -1, errmsg: 'token service error' },
    });
  });

  it('plays HTTP 500', async () => {
    const s = await start({ tokenServiceFailures: { [B.appid]: 'http-500' } });
    const res = await fetch(s.tokenServiceUrl.replace('{appid}', B.appid));
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain('access_token');
  });

  it("plays 'stale': the same token every time, which the API refuses with 40001", async () => {
    const s = await start({ tokenServiceFailures: { [A.appid]: 'stale' } });
    const stale = await serviceToken(s, A.appid);
    expect(await serviceToken(s, A.appid)).toBe(stale);
    expect((await search(s, stale, wholeDay(TODAY))).errcode).toBe(40001);
    const scenes = await getJson(`${s.url}/wxaapi/log/get_scene?access_token=${encodeURIComponent(stale)}`);
    expect(scenes['errcode']).toBe(40001);
    expect(await stableTokenOf(s, A)).not.toBe(stale);
    // Cleared at run time: the service answers the current, valid token again.
    s.setTokenServiceFailure(A.appid, null);
    const fresh = await serviceToken(s, A.appid);
    expect(fresh).not.toBe(stale);
    expect((await search(s, fresh, wholeDay(TODAY))).errcode).toBe(0);
    s.setTokenServiceFailure(A.appid, 'stale');
    expect(await serviceToken(s, A.appid)).toBe(stale);
  });

  it('refuses a failure it cannot play, naming it', async () => {
    const s = await start();
    expect(() => s.setTokenServiceFailure(A.appid, 'timeout' as never)).toThrow(
      /Expected `failure` to be 'http-500', 'stale' or \{ errcode/,
    );
    expect(() => s.setTokenServiceFailure(A.appid, { errcode: 40001, errmsg: 5 } as never)).toThrow(RangeError);
  });

  it('counts its requests per app, failed ones included, and in the totals', async () => {
    const s = await start({ tokenServiceFailures: { [B.appid]: 'http-500' } });
    await askTokenService(s, A.appid);
    await askTokenService(s, A.appid);
    await askTokenService(s, B.appid);
    await askTokenService(s, 'wxnope');
    expect(s.statsFor(A.appid).tokenServiceRequests).toBe(2);
    expect(s.statsFor(B.appid).tokenServiceRequests).toBe(1);
    expect(s.stats.tokenServiceRequests).toBe(4);
    // Not token requests: the service minted nothing through stable_token.
    expect(s.stats.tokenRequests).toEqual({ stable: 0, classic: 0, forceRefresh: 0 });
  });

  it('serves the one app of a one-app simulator too', async () => {
    sim = await startSimulator({ now: () => NOW, perDay: 5 });
    expect(sim.tokenServiceUrl).toBe(`${sim.url}/token-service/token?appid={appid}`);
    const token = await serviceToken(sim, sim.options.appid);
    expect((await search(sim, token, wholeDay(TODAY))).errcode).toBe(0);
  });
});
