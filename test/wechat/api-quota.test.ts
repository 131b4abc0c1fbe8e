import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { apiQuotaAnswerSchema, toApiQuota } from '../../src/wechat/api-quota.js';
import { WechatError } from '../../src/wechat/errors.js';
import { WechatClient, type SearchGate } from '../../src/wechat/wechat-client.js';
import { client, outcomes, rejection, simulator, wholeDay } from './simulator-fixture.js';

/** A gate that lets everything through and counts what it sees. */
function countingGate(): SearchGate & { acquired: number } {
  const gate = {
    acquired: 0,
    acquire: async (): Promise<void> => {
      gate.acquired++;
    },
  };
  return gate;
}

describe('getApiQuota', () => {
  it("returns the simulator's quota and rate limits of userlog_search", async () => {
    const sim = await simulator({ dailyQuota: 500, callsPerMinute: 7, intervalMs: 1500 });
    const c = client(sim);
    expect(await c.getApiQuota()).toEqual({
      dailyLimit: 500,
      used: 0,
      remain: 500,
      // The simulator reports its interval in whole seconds, rounded up.
      rateLimit: { callCount: 7, refreshSecond: 2 },
      componentRateLimit: { callCount: 7, refreshSecond: 2 },
    });
    expect(sim.stats.quotaRequests).toBe(1);
    expect(outcomes(c)).toEqual({ ok: 2 });
    expect([outcomes(c, 'quota'), outcomes(c, 'token')]).toEqual([{ ok: 1 }, { ok: 1 }]);
  });

  it('reports the large limit WeChat gives an app without a practical one', async () => {
    const sim = await simulator();
    const c = client(sim);
    expect(await c.getApiQuota('/wxaapi/userlog/userlog_search')).toMatchObject({
      dailyLimit: 100_000,
      used: 0,
      remain: 100_000,
    });
  });

  it('shows the searches served so far, and never passes the search gate', async () => {
    const sim = await simulator({ dailyQuota: 10 });
    const gate = countingGate();
    const c = client(sim, { searchGate: gate });
    for (let i = 0; i < 3; i++) await c.searchLogs(wholeDay(i * 10, 10));
    expect(await c.getApiQuota()).toMatchObject({ dailyLimit: 10, used: 3, remain: 7 });
    await c.searchLogs(wholeDay(30, 10));
    expect(await c.getApiQuota()).toMatchObject({ dailyLimit: 10, used: 4, remain: 6 });
    expect(gate.acquired).toBe(4);
    expect([outcomes(c, 'search'), outcomes(c, 'quota')]).toEqual([{ ok: 4 }, { ok: 2 }]);
  });

  it('shows a limit lowered by setDailyQuota on the next call', async () => {
    const sim = await simulator({ dailyQuota: 10 });
    const c = client(sim);
    for (let i = 0; i < 3; i++) await c.searchLogs(wholeDay(i * 10, 10));
    expect(await c.getApiQuota()).toMatchObject({ dailyLimit: 10, used: 3, remain: 7 });
    sim.setDailyQuota(2);
    expect(await c.getApiQuota()).toMatchObject({ dailyLimit: 2, used: 3, remain: 0 });
  });

  it('refuses an unknown cgi_path as fatal (76021), unretried, naming the path', async () => {
    const sim = await simulator();
    const c = client(sim);
    const e = await rejection(c.getApiQuota('/wxaapi/not-an-api'));
    expect(e).toBeInstanceOf(WechatError);
    expect(e).toMatchObject({ kind: 'fatal', api: 'quota', errcode: 76021 });
    expect((e as Error).message).toBe(
      'openapi/quota/get (cgi_path /wxaapi/not-an-api): cgi_path not found: errcode 76021 (cgi_path not found)',
    );
    expect(sim.stats.quotaRequests).toBe(1);
    expect(outcomes(c, 'quota')).toEqual({ fatal: 1 });
  });

  it('rejects a path without its leading "/" with a RangeError before any request', async () => {
    const sim = await simulator();
    const c = client(sim);
    await expect(c.getApiQuota('wxaapi/userlog/userlog_search')).rejects.toThrow(RangeError);
    await expect(c.getApiQuota('https://api.weixin.qq.com/wxaapi/userlog/userlog_search')).rejects.toThrow(RangeError);
    expect(sim.stats.quotaRequests).toBe(0);
    expect(sim.stats.tokenRequests.stable).toBe(0);
  });

  it('gets a new token once when the token is refused, then answers', async () => {
    const sim = await simulator();
    const c = client(sim);
    await c.getApiQuota();
    sim.expireTokens();
    expect(await c.getApiQuota()).toMatchObject({ dailyLimit: 100_000 });
    expect(outcomes(c, 'quota')).toEqual({ ok: 2, token: 1 });
    expect(sim.stats.quotaRequests).toBe(3);
    expect(sim.stats.tokenRequests).toEqual({ stable: 2, classic: 0, forceRefresh: 0 });
  });

  it('reports a refused static token as fatal, without the token in the message', async () => {
    const sim = await simulator();
    const c = client(sim, { tokenMode: 'static', accessToken: 'outside-token-0123456789' });
    const e = await rejection(c.getApiQuota());
    expect(e).toMatchObject({ name: 'WechatError', kind: 'fatal', api: 'quota', errcode: 40001 });
    expect((e as Error).message).not.toContain('outside-token-0123456789');
    expect(sim.stats.quotaRequests).toBe(1);
  });

  it('retries an unreachable server as transient, then gives up', async () => {
    const sim = await simulator();
    await sim.close();
    const c = client(sim, {
      tokenMode: 'static',
      accessToken: 'tok',
      retryPolicy: { transient: { retries: 2, baseDelayMs: 1, maxDelayMs: 1 } },
    });
    const e = await rejection(c.getApiQuota());
    expect(e).toMatchObject({ kind: 'transient', api: 'quota' });
    expect((e as Error).message).toMatch(/^openapi\/quota\/get: request failed/);
    expect(outcomes(c, 'quota')).toEqual({ transient: 3 });
  });

  it('accepts counts sent as strings of digits, and an answer without rate limits', async () => {
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(200, { 'content-type': 'application/json' });
        const rate = bodies.length === 1 ? { rate_limit: { call_count: '50', refresh_second: 60 } } : {};
        res.end(
          JSON.stringify({
            errcode: 0,
            errmsg: 'ok',
            quota: { daily_limit: '1000', used: 12, remain: ' 988 ' },
            ...rate,
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const c = new WechatClient({
      apiBase: `http://127.0.0.1:${port}`,
      appid: 'wx1',
      tokenMode: 'static',
      accessToken: 'tok',
    });
    try {
      expect(await c.getApiQuota()).toEqual({
        dailyLimit: 1000,
        used: 12,
        remain: 988,
        rateLimit: { callCount: 50, refreshSecond: 60 },
        componentRateLimit: null,
      });
      expect(await c.getApiQuota()).toMatchObject({ rateLimit: null, componentRateLimit: null });
      expect(bodies.map((b) => JSON.parse(b) as unknown)).toEqual([
        { cgi_path: '/wxaapi/userlog/userlog_search' },
        { cgi_path: '/wxaapi/userlog/userlog_search' },
      ]);
    } finally {
      await c.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('apiQuotaAnswerSchema', () => {
  it.each([
    ['a negative count', { quota: { daily_limit: -1, used: 0, remain: 0 } }],
    ['a fraction', { quota: { daily_limit: 1.5, used: 0, remain: 0 } }],
    ['a string that is not a count', { quota: { daily_limit: '12a', used: 0, remain: 0 } }],
    ['an empty string', { quota: { daily_limit: '', used: 0, remain: 0 } }],
    ['no quota', { rate_limit: { call_count: 1, refresh_second: 1 } }],
  ])('refuses %s', (_name, answer) => {
    expect(apiQuotaAnswerSchema.safeParse(answer).success).toBe(false);
  });

  it('maps null rate limits to null', () => {
    const answer = apiQuotaAnswerSchema.parse({
      quota: { daily_limit: 1, used: 0, remain: 1 },
      rate_limit: null,
      component_rate_limit: null,
    });
    expect(toApiQuota(answer)).toEqual({
      dailyLimit: 1,
      used: 0,
      remain: 1,
      rateLimit: null,
      componentRateLimit: null,
    });
  });
});
