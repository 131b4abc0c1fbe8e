import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log/logger.js';
import { WechatError } from '../../src/wechat/errors.js';
import { HttpTransport } from '../../src/wechat/http-transport.js';
import { resolveRetryPolicy } from '../../src/wechat/retry-policy.js';
import { TokenProvider } from '../../src/wechat/token-provider.js';
import { WechatClient } from '../../src/wechat/wechat-client.js';
import type { Simulator } from '../../src/simulator/simulator.js';
import { client, outcomes, rejection, simulator, tokenEvents, wholeDay } from './simulator-fixture.js';

const tokenError = new WechatError('userlog_search: access token rejected', {
  kind: 'token',
  api: 'search',
  errcode: 40001,
});

/** A provider on its own over real HTTP, for the paths the client cannot reach with an honest server. */
function provider(sim: Simulator): { tokens: TokenProvider; close: () => Promise<void> } {
  const transport = new HttpTransport({
    apiBase: sim.url,
    timeouts: { connectMs: 2000, headersMs: 2000, bodyMs: 2000 },
    secrets: () => [sim.options.secret],
  });
  const lifetime = new AbortController();
  const tokens = new TokenProvider({
    mode: 'stable',
    appid: sim.options.appid,
    secret: sim.options.secret,
    transport,
    // One attempt each: these tests are about the provider, not the retry table.
    retryPolicy: resolveRetryPolicy({ token: { retries: 0 }, rate: { retries: 0 }, transient: { retries: 0 } }),
    now: Date.now,
    logger: silentLogger,
    lifetime: lifetime.signal,
  });
  return { tokens, close: () => transport.close() };
}

describe('stable token (default)', () => {
  it('fetches one token and reuses it for later calls', async () => {
    const sim = await simulator();
    const c = client(sim);
    await c.searchLogs(wholeDay());
    await c.getSceneList();
    await c.searchLogs(wholeDay(100));
    expect(sim.stats.tokenRequests).toEqual({ stable: 1, classic: 0, forceRefresh: 0 });
    // One token request, told of with the token it obtained; no search met a refused token.
    expect(outcomes(c, 'token')).toEqual({ ok: 1 });
    expect(tokenEvents(c)).toBe(1);
    expect(outcomes(c, 'search')).toEqual({ ok: 2 });
  });

  it('shares one in-flight fetch among concurrent callers', async () => {
    const sim = await simulator();
    const c = client(sim);
    await Promise.all([c.getSceneList(), c.getSceneList(), c.searchLogs(wholeDay()), c.searchLogs(wholeDay(100))]);
    expect(sim.stats.tokenRequests.stable).toBe(1);
  });

  it('gets a new token when tokens wear out mid-sequence (tokenMaxUses), without force_refresh', async () => {
    const sim = await simulator({ tokenMaxUses: 3 });
    const c = client(sim);
    for (let i = 0; i < 10; i++) await c.searchLogs(wholeDay(i * 10, 10));
    // Each token serves 3 calls; the 4th answers 42001, a fresh token is fetched and the call retried.
    expect(outcomes(c, 'search')).toEqual({ ok: 10, token: 3 });
    expect(outcomes(c, 'token')).toEqual({ ok: 4 });
    expect(sim.stats.tokenRequests).toEqual({ stable: 4, classic: 0, forceRefresh: 0 });
    expect(sim.stats.searchArrivals).toHaveLength(13);
    expect(sim.stats.searchServed).toBe(10);
  });

  it('recovers when every token expires at once (expireTokens)', async () => {
    const sim = await simulator();
    const c = client(sim);
    await c.searchLogs(wholeDay());
    sim.expireTokens();
    const page = await c.searchLogs(wholeDay());
    expect(page.list.length).toBeGreaterThan(0);
    expect(outcomes(c, 'search')).toEqual({ ok: 2, token: 1 });
    expect(sim.stats.tokenRequests).toEqual({ stable: 2, classic: 0, forceRefresh: 0 });
  });

  it('renews a cached token shortly before its expires_in, without waiting for a token error', async () => {
    const sim = await simulator();
    let now = 1_000_000;
    const c = client(sim, { now: () => now });
    await c.searchLogs(wholeDay());
    now += 7_200_000 - 300_000 - 1; // just inside the 5-minute margin of a 2-hour token
    await c.searchLogs(wholeDay());
    expect(sim.stats.tokenRequests.stable).toBe(1);
    now += 2;
    await c.searchLogs(wholeDay());
    expect(sim.stats.tokenRequests.stable).toBe(2);
    // Renewed ahead of time: no search met a refused token.
    expect(outcomes(c, 'search')).toEqual({ ok: 3 });
    expect(tokenEvents(c)).toBe(2);
  });

  it('forces a refresh only when a normal request hands back the very token that was refused', async () => {
    const sim = await simulator();
    const { tokens, close } = provider(sim);
    try {
      const first = await tokens.getToken();
      // A token other than the current one was refused: the normal answer differs from it, no force needed.
      // A token that is no longer the current one was refused: someone replaced it already, no request.
      expect(await tokens.refresh('some-older-token', tokenError)).toBe(first);
      expect(sim.stats.tokenRequests).toEqual({ stable: 1, classic: 0, forceRefresh: 0 });
      // The current token was refused: stable_token still hands it back, so the provider forces.
      const second = await tokens.refresh(first, tokenError);
      expect(second).not.toBe(first);
      expect(sim.stats.tokenRequests).toEqual({ stable: 3, classic: 0, forceRefresh: 1 });
      expect(await tokens.getToken()).toBe(second);
      expect(sim.stats.tokenRequests.stable).toBe(3);
    } finally {
      await close();
    }
  });

  it('shares one refresh among callers reporting the same refused token', async () => {
    const sim = await simulator();
    const { tokens, close } = provider(sim);
    try {
      const first = await tokens.getToken();
      const fresh = await Promise.all([1, 2, 3].map(() => tokens.refresh(first, tokenError)));
      expect(new Set(fresh).size).toBe(1);
      expect(sim.stats.tokenRequests).toEqual({ stable: 3, classic: 0, forceRefresh: 1 });
    } finally {
      await close();
    }
  });

  it('reports kind quota when the daily force_refresh limit is reached (45009)', async () => {
    const sim = await simulator({ forceRefreshPerDay: 0 });
    const { tokens, close } = provider(sim);
    try {
      const first = await tokens.getToken();
      const e = await rejection(tokens.refresh(first, tokenError));
      expect(e).toMatchObject({ name: 'WechatError', kind: 'quota', api: 'token', errcode: 45009 });
      expect((e as Error).message).toMatch(/forced token refreshes/);
    } finally {
      await close();
    }
  });
});

describe('credential errors from the token endpoints are fatal and not retried', () => {
  it.each([
    ['a wrong appid', { appid: 'wx0000000000000000' }, 40013, /invalid AppID/],
    ['a wrong secret', { secret: 'not-the-secret' }, 40125, /invalid AppSecret/],
  ])('%s', async (_name, patch, errcode, message) => {
    const sim = await simulator();
    for (const tokenMode of ['stable', 'classic'] as const) {
      const c = client(sim, { tokenMode, ...patch });
      const e = await rejection(c.searchLogs(wholeDay()));
      expect(e).toMatchObject({ name: 'WechatError', kind: 'fatal', api: 'token', errcode });
      expect((e as Error).message).toMatch(message);
    }
    expect(sim.stats.tokenRequests).toEqual({ stable: 1, classic: 1, forceRefresh: 0 });
    expect(sim.stats.searchArrivals).toHaveLength(0);
  });
});

describe('classic token (opt-in)', () => {
  it('uses cgi-bin/token only, reuses the token and gets a new one after a token error', async () => {
    const sim = await simulator();
    const c = client(sim, { tokenMode: 'classic' });
    await c.searchLogs(wholeDay());
    await c.getSceneList();
    expect(sim.stats.tokenRequests).toEqual({ stable: 0, classic: 1, forceRefresh: 0 });
    sim.expireTokens();
    await c.searchLogs(wholeDay());
    expect(sim.stats.tokenRequests).toEqual({ stable: 0, classic: 2, forceRefresh: 0 });
    expect(outcomes(c, 'search')).toEqual({ ok: 2, token: 1 });
    expect(outcomes(c, 'token')).toEqual({ ok: 2 });
  });
});

describe('a second token error', () => {
  it('is thrown as kind token after exactly one refresh', async () => {
    const sim = await simulator({ classicOverlapMs: 0 });
    // Between getting its token and sending the search, another holder of the app takes a classic
    // token, which invalidates ours at once: both attempts meet a refused token.
    const gate = {
      acquire: async (): Promise<void> => {
        const query = new URLSearchParams({
          grant_type: 'client_credential',
          appid: sim.options.appid,
          secret: sim.options.secret,
        });
        const { body } = await request(`${sim.url}/cgi-bin/token?${query.toString()}`);
        await body.dump();
      },
    };
    const c = client(sim, { tokenMode: 'classic', searchGate: gate });
    const e = await rejection(c.searchLogs(wholeDay()));
    expect(e).toBeInstanceOf(WechatError);
    expect(e).toMatchObject({ kind: 'token', api: 'search', errcode: 40001 });
    expect(sim.stats.searchArrivals).toHaveLength(2);
    // Refused, refreshed once, refused again.
    expect(outcomes(c, 'search')).toEqual({ token: 2 });
    expect(outcomes(c, 'token')).toEqual({ ok: 2 });
  });
});

describe('static token', () => {
  it('uses the supplied token without asking for one', async () => {
    const sim = await simulator();
    const { tokens, close } = provider(sim);
    const token = await tokens.getToken();
    await close();
    const before = sim.stats.tokenRequests.stable;
    const c = client(sim, { tokenMode: 'static', secret: undefined, accessToken: token });
    const page = await c.searchLogs(wholeDay());
    expect(page.list.length).toBeGreaterThan(0);
    expect(sim.stats.tokenRequests.stable).toBe(before);
    expect(outcomes(c, 'token')).toEqual({});
    expect(tokenEvents(c)).toBe(0);
  });

  it('turns a token error into a fatal error naming WXLOG_ACCESS_TOKEN, after one request', async () => {
    const sim = await simulator();
    const c = client(sim, { tokenMode: 'static', secret: undefined, accessToken: 'not-a-token-from-this-app' });
    const e = await rejection(c.searchLogs(wholeDay()));
    expect(e).toMatchObject({ name: 'WechatError', kind: 'fatal', api: 'search', errcode: 40001 });
    expect((e as Error).message).toMatch(/WXLOG_ACCESS_TOKEN.*cannot be refreshed/);
    expect(sim.stats.searchArrivals).toHaveLength(1);
    expect(sim.stats.tokenRequests).toEqual({ stable: 0, classic: 0, forceRefresh: 0 });
  });
});

describe('constructor', () => {
  it.each([
    ['stable', {}, /tokenMode "stable" needs a secret/],
    ['classic', {}, /tokenMode "classic" needs a secret/],
    ['static', { secret: 's' }, /tokenMode "static" needs an accessToken/],
  ] as const)('refuses tokenMode %s without its credential', (tokenMode, extra, message) => {
    expect(() => new WechatClient({ apiBase: 'http://127.0.0.1:9', appid: 'wx1', tokenMode, ...extra })).toThrow(
      message,
    );
  });

  it('refuses an apiBase that is not an http(s) URL', () => {
    expect(
      () => new WechatClient({ apiBase: 'api.weixin.qq.com', appid: 'wx1', tokenMode: 'static', accessToken: 't' }),
    ).toThrow(/apiBase/);
  });
});
