import { describe, expect, it } from 'vitest';
import { SIMULATED_SCENES } from '../../src/simulator/scenes.js';
import type { FaultKind } from '../../src/simulator/simulator.js';
import { addCstDays, cstDayBounds } from '../../src/wechat/cst-day.js';
import { WechatError } from '../../src/wechat/errors.js';
import { DEFAULT_HTTP_TIMEOUTS, sharedHttpPool } from '../../src/wechat/http-transport.js';
import type { SearchGate } from '../../src/wechat/wechat-client.js';
import { waitFor } from '../helpers/wait-for.js';
import { client, DAY, outcomes, rejection, requestsOf, simulator, wholeDay } from './simulator-fixture.js';

/** `value` as JSON carries it (the simulator's entries hold -0, which goes over the wire as 0). */
function asSent<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** A gate that lets everything through and counts what it sees. */
function countingGate(): SearchGate & { acquired: number; rateLimited: number } {
  const gate = {
    acquired: 0,
    rateLimited: 0,
    acquire: async (): Promise<void> => {
      gate.acquired++;
    },
    onRateLimited: (): void => {
      gate.rateLimited++;
    },
  };
  return gate;
}

describe('searchLogs', () => {
  it('returns the page the server holds, entries as sent, and pages by start', async () => {
    const sim = await simulator({ perDay: 250 });
    const c = client(sim);
    const expected = asSent(sim.entriesForDay(DAY));
    const first = await c.searchLogs(wholeDay(0, 100));
    const second = await c.searchLogs(wholeDay(100, 100));
    expect(first.total).toBe(sim.countForDay(DAY));
    expect(first.list.map((e) => e.raw)).toEqual(expected.slice(0, 100));
    expect(second.list.map((e) => e.raw)).toEqual(expected.slice(100, 200));
    // Two requests, both answered: no retry, no refusal.
    expect(outcomes(c, 'search')).toEqual({ ok: 2 });
  });

  it('sends the filters under the API names (openid as id, traceId)', async () => {
    const sim = await simulator();
    const c = client(sim);
    const all = asSent(sim.entriesForDay(DAY));
    const sample = all[7];
    if (!sample?.id || !sample.traceid) throw new Error('the simulator should give entries an id and a traceid');
    const byUser = await c.searchLogs({ ...wholeDay(), filters: { openid: sample.id } });
    expect(byUser.list.map((e) => e.raw)).toEqual(all.filter((e) => e.id === sample.id));
    const byTrace = await c.searchLogs({ ...wholeDay(), filters: { traceId: sample.traceid, url: '' } });
    expect(byTrace.list.map((e) => e.raw)).toEqual(all.filter((e) => e.traceid === sample.traceid));
  });

  it('rejects invalid params with a RangeError before any request', async () => {
    const sim = await simulator();
    const c = client(sim);
    const { begin } = cstDayBounds(DAY);
    for (const params of [
      { ...wholeDay(), date: '2026-11-21' },
      { ...wholeDay(), begintime: begin - 1 },
      { ...wholeDay(), endtime: begin },
      { ...wholeDay(), start: -1 },
      { ...wholeDay(), limit: 0 },
    ]) {
      await expect(c.searchLogs(params)).rejects.toThrow(RangeError);
    }
    expect(sim.stats.searchArrivals).toHaveLength(0);
    expect(sim.stats.tokenRequests.stable).toBe(0);
  });

  it('reports 200002 as kind params, unretried, naming the request', async () => {
    const sim = await simulator({ maxPageSize: 50, pageSizeCapMode: 'reject' });
    const c = client(sim);
    const e = await rejection(c.searchLogs(wholeDay(0, 100)));
    expect(e).toBeInstanceOf(WechatError);
    expect(e).toMatchObject({ kind: 'params', api: 'search', errcode: 200002 });
    expect((e as Error).message).toContain('limit=100');
    expect(sim.stats.searchArrivals).toHaveLength(1);
    // A date that is a valid CST day but outside retention is the server's call, not ours.
    const old = addCstDays(DAY, -10);
    await expect(c.searchLogs(wholeDay(0, 10, old))).rejects.toMatchObject({ kind: 'params' });
    expect(await c.searchLogs(wholeDay(0, 50))).toMatchObject({ total: sim.countForDay(DAY) });
  });
});

describe('getSceneList', () => {
  it('returns every scene with its value as text', async () => {
    const sim = await simulator();
    const c = client(sim);
    const scenes = await c.getSceneList();
    expect(scenes).toEqual(SIMULATED_SCENES.map((s) => ({ name: s.name, value: String(s.value) })));
    expect(scenes).toContainEqual({ name: '全部', value: '@_all' });
    expect(scenes).toContainEqual({ name: '小程序历史列表', value: '1001' });
    expect(scenes.every((s) => typeof s.value === 'string')).toBe(true);
    expect(outcomes(c, 'scenes')).toEqual({ ok: 1 });
  });
});

describe('transient failures', () => {
  const cases: [FaultKind, RegExp, number | undefined][] = [
    ['errcode-1', /system busy: errcode -1/, undefined],
    ['http-502', /HTTP 502/, 502],
    ['reset', /request failed/, undefined],
    ['truncated-json', /not valid JSON/, 200],
    ['html', /not valid JSON \(content-type text\/html/, 200],
    ['bad-shape', /answer has no data\.list array/, undefined],
  ];

  it.each(cases)(
    '%s: retried 1 + retries times in all, then thrown as transient',
    async (kind, message, httpStatus) => {
      const sim = await simulator({ faults: { rate: 1, kinds: [kind] } });
      const gate = countingGate();
      const c = client(sim, {
        searchGate: gate,
        retryPolicy: { transient: { retries: 3, baseDelayMs: 1, maxDelayMs: 2 } },
      });
      const e = await rejection(c.searchLogs(wholeDay()));
      expect(e).toBeInstanceOf(WechatError);
      expect(e).toMatchObject({ kind: 'transient', api: 'search', httpStatus });
      expect((e as Error).message).toMatch(message);
      expect(sim.stats.searchArrivals).toHaveLength(4);
      expect(gate.acquired).toBe(4);
      // The first request and its 3 retries, each told of.
      expect(outcomes(c, 'search')).toEqual({ transient: 4 });
    },
  );

  it('uses the default table: a permanently failing server gets exactly 5 attempts', async () => {
    const sim = await simulator({ faults: { rate: 1, kinds: ['errcode-1'] } });
    const delays: number[] = [];
    const c = client(sim, {
      retryPolicy: undefined,
      random: () => 0.5,
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    await expect(c.searchLogs(wholeDay())).rejects.toMatchObject({ kind: 'transient', errcode: -1 });
    expect(sim.stats.searchArrivals).toHaveLength(5);
    // Full jitter at random() = 0.5 over 500·2^(n-1): half of each ceiling.
    expect(delays).toEqual([250, 500, 1000, 2000]);
  });

  it('times out a stalled answer (headers timeout) and retries it', async () => {
    const sim = await simulator({ faults: { rate: 1, kinds: ['stall'], stallMs: 10_000 } });
    const c = client(sim, {
      timeouts: { headersMs: 150 },
      retryPolicy: { transient: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 } },
    });
    const started = Date.now();
    const e = await rejection(c.searchLogs(wholeDay()));
    expect(e).toMatchObject({ kind: 'transient', api: 'search' });
    expect((e as Error).message).toMatch(/no response within 150 ms/);
    expect(sim.stats.searchArrivals).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('succeeds through intermittent faults of every kind', async () => {
    const sim = await simulator({
      faults: { rate: 0.3, kinds: ['errcode-1', 'http-502', 'reset', 'truncated-json', 'html', 'bad-shape'] },
    });
    const gate = countingGate();
    const c = client(sim, {
      searchGate: gate,
      retryPolicy: { transient: { retries: 8, baseDelayMs: 1, maxDelayMs: 2 } },
    });
    const expected = asSent(sim.entriesForDay(DAY));
    for (let i = 0; i < 8; i++) {
      const page = await c.searchLogs(wholeDay(i * 20, 20));
      expect(page.list.map((e) => e.raw)).toEqual(expected.slice(i * 20, i * 20 + 20));
    }
    expect(sim.stats.searchArrivals.length).toBeGreaterThan(8);
    expect(gate.acquired).toBe(sim.stats.searchArrivals.length);
    // Every request WeChat received is told of: 8 answered, the rest the faults that were retried.
    const told = outcomes(c, 'search');
    expect(told.ok).toBe(8);
    expect(Object.values(told).reduce((a, b) => a + b, 0)).toBe(sim.stats.searchArrivals.length);
  });

  it('maps an unreachable server to transient', async () => {
    const sim = await simulator();
    await sim.close();
    const c = client(sim, {
      tokenMode: 'static',
      accessToken: 'tok',
      retryPolicy: { transient: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 } },
    });
    await expect(c.getSceneList()).rejects.toMatchObject({ kind: 'transient', api: 'scenes' });
    expect(outcomes(c, 'scenes')).toEqual({ transient: 2 });
  });
});

describe('rate limiting (200010)', () => {
  it('tells the gate, retries without its own delay, and the gate sees every attempt', async () => {
    const sim = await simulator({ callsPerMinute: 2, intervalMs: 400 });
    let heldUntil = 0;
    const gate = {
      acquired: 0,
      rateLimited: 0,
      async acquire(): Promise<void> {
        gate.acquired++;
        const wait = heldUntil - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      },
      onRateLimited(): void {
        gate.rateLimited++;
        heldUntil = Date.now() + 450;
      },
    };
    const sleeps: number[] = [];
    const c = client(sim, {
      searchGate: gate,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    for (let i = 0; i < 4; i++) await c.searchLogs(wholeDay(i * 10, 10));
    expect(sim.stats.searchServed).toBe(4);
    expect(sim.stats.searchRateLimited).toBeGreaterThanOrEqual(1);
    expect(gate.rateLimited).toBe(sim.stats.searchRateLimited);
    expect(outcomes(c, 'search')).toEqual({ ok: 4, rate: sim.stats.searchRateLimited });
    expect(gate.acquired).toBe(sim.stats.searchArrivals.length);
    expect(sleeps).toEqual([]);
  });

  it('backs off by itself when there is no gate', async () => {
    const sim = await simulator({ callsPerMinute: 1, intervalMs: 200 });
    const c = client(sim, { retryPolicy: { rate: { baseDelayMs: 100, maxDelayMs: 400 } }, random: () => 0.99 });
    await c.searchLogs(wholeDay());
    await c.searchLogs(wholeDay());
    expect(sim.stats.searchServed).toBe(2);
    // Each refusal retried: the requests are the two calls and one retry per refusal.
    expect(outcomes(c, 'search')).toEqual({ ok: 2, rate: sim.stats.searchRateLimited });
    expect(sim.stats.searchRateLimited).toBeGreaterThanOrEqual(1);
    expect(sim.stats.searchArrivals).toHaveLength(2 + sim.stats.searchRateLimited);
  });

  it('gives up after 1 + retries attempts when the server never allows a call', async () => {
    const sim = await simulator({ callsPerMinute: 0 });
    const gate = countingGate();
    const c = client(sim, { searchGate: gate });
    const e = await rejection(c.searchLogs(wholeDay()));
    expect(e).toMatchObject({ name: 'WechatError', kind: 'rate', api: 'search', errcode: 200010 });
    expect(sim.stats.searchArrivals).toHaveLength(7);
    expect(gate.acquired).toBe(7);
    expect(gate.rateLimited).toBe(7);
    expect(outcomes(c, 'search')).toEqual({ rate: 7 });
  });
});

describe('a wrong API base', () => {
  it('is fatal with a hint when the server answers 404', async () => {
    const sim = await simulator();
    const c = client(sim, { apiBase: `${sim.url}/not-wechat` });
    const e = await rejection(c.getSceneList());
    expect(e).toMatchObject({ name: 'WechatError', kind: 'fatal', api: 'token', httpStatus: 404 });
    expect((e as Error).message).toMatch(/stable_token: HTTP 404 \(is the API base URL right\?\)/);
    expect(sim.stats.tokenRequests.stable).toBe(0);
  });
});

describe('close', () => {
  it('refuses calls after close without sending anything', async () => {
    const sim = await simulator();
    const c = client(sim);
    await c.getSceneList();
    await c.close();
    await expect(c.searchLogs(wholeDay())).rejects.toThrow('WechatClient is closed');
    expect(sim.stats.searchArrivals).toHaveLength(0);
  });
});

describe('aborting', () => {
  it('stops a stalled request and does not retry it', async () => {
    const sim = await simulator({ faults: { rate: 1, kinds: ['stall'], stallMs: 10_000 } });
    const c = client(sim);
    const controller = new AbortController();
    const reason = new Error('shutting down');
    setTimeout(() => controller.abort(reason), 100);
    const e = await rejection(c.searchLogs(wholeDay(), controller.signal));
    expect(e).toBe(reason);
    expect(sim.stats.searchArrivals).toHaveLength(1);
    // Sent, so told of, once: as aborted, after the time it was held.
    const [aborted, ...more] = requestsOf(c, 'search');
    expect(more).toEqual([]);
    expect(aborted).toMatchObject({ type: 'request', appid: sim.options.appid, api: 'search', result: 'aborted' });
    expect(aborted?.durationMs).toBeGreaterThanOrEqual(50);
  });

  it('tells of no request it did not send: aborted before the call, or while the gate held it', async () => {
    const sim = await simulator();
    const c = client(sim);
    await expect(c.searchLogs(wholeDay(), AbortSignal.abort(new Error('stop')))).rejects.toThrow('stop');
    const controller = new AbortController();
    const held = client(sim, {
      searchGate: {
        acquire: (signal) =>
          new Promise((_resolve, reject) =>
            signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true }),
          ),
      },
    });
    const waiting = held.searchLogs(wholeDay(), controller.signal);
    setTimeout(() => controller.abort(new Error('stop')), 50);
    await expect(waiting).rejects.toThrow('stop');
    expect(sim.stats.searchArrivals).toHaveLength(0);
    expect(requestsOf(c, 'search')).toEqual([]);
    expect(requestsOf(held, 'search')).toEqual([]);
  });

  it('tells of a request aborted while it waited for a connection of a shared pool as never sent', async () => {
    const sim = await simulator();
    const pool = sharedHttpPool(sim.url, 1, DEFAULT_HTTP_TIMEOUTS);
    try {
      const c = client(sim, { httpPool: pool });
      await c.getSceneList();
      sim.setFaults({ rate: 1, kinds: ['stall'], stallMs: 10_000 });
      const controller = new AbortController();
      // The first holds the pool's one connection; the second waits for it.
      const searches = [0, 100].map((start) => rejection(c.searchLogs(wholeDay(start), controller.signal)));
      await waitFor(() => sim.stats.searchArrivals.length === 1, 'the first search held');
      await new Promise((resolve) => setTimeout(resolve, 100));
      controller.abort(new Error('stop'));
      expect(await Promise.all(searches)).toMatchObject([{ message: 'stop' }, { message: 'stop' }]);
      expect(sim.stats.searchArrivals).toHaveLength(1);
      expect(outcomes(c, 'search')).toEqual({ aborted: 1 });
    } finally {
      await pool.close();
    }
  });

  it('sends nothing and tells of nothing when the signal aborts as the gate lets the request go', async () => {
    const sim = await simulator();
    const controller = new AbortController();
    const c = client(sim, {
      searchGate: {
        acquire: async () => {
          controller.abort(new Error('stop'));
        },
      },
    });
    await expect(c.searchLogs(wholeDay(), controller.signal)).rejects.toThrow('stop');
    expect(sim.stats.searchArrivals).toHaveLength(0);
    expect(requestsOf(c, 'search')).toEqual([]);
  });

  it('stops waiting for a retry', async () => {
    const sim = await simulator({ faults: { rate: 1, kinds: ['errcode-1'] } });
    const c = client(sim, { retryPolicy: { transient: { baseDelayMs: 60_000, maxDelayMs: 60_000 } }, random: () => 1 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop')), 100);
    await expect(c.searchLogs(wholeDay(), controller.signal)).rejects.toThrow('stop');
    expect(sim.stats.searchArrivals).toHaveLength(1);
    // The one request sent was answered: the abort came in the backoff.
    expect(outcomes(c, 'search')).toEqual({ transient: 1 });
  });
});
