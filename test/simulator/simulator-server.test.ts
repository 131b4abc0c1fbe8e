import { connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/simulator.js';
import { sceneSchema } from '../../src/wechat/types.js';
import { NOW, TODAY, getJson, search, stableToken, wholeDay } from './helpers.js';

let sim: Simulator | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await sim?.close();
  sim = undefined;
});

async function start(options: SimulatorOptions = {}): Promise<Simulator> {
  sim = await startSimulator({ now: () => NOW, perDay: 20, ...options });
  return sim;
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('GET /wxaapi/log/get_scene', () => {
  it('lists "全部" first, then about twenty real scenes with numeric and string values', async () => {
    const s = await start();
    const token = await stableToken(s);
    const body = await getJson(`${s.url}/wxaapi/log/get_scene?access_token=${encodeURIComponent(token)}`);
    expect(body['errcode']).toBe(0);
    expect(body['errmsg']).toBe('ok');
    const scenes = body['scene'] as { name: string; value: string | number }[];
    expect(scenes[0]).toEqual({ name: '全部', value: '@_all' });
    expect(scenes.some((x) => x.name === '小程序历史列表' && typeof x.value === 'number')).toBe(true);
    expect(scenes.length).toBeGreaterThanOrEqual(15);
    for (const scene of scenes) {
      expect(sceneSchema.safeParse(scene).success).toBe(true);
      expect(scene.name.length).toBeGreaterThan(0);
    }
    const strings = scenes.filter((x) => typeof x.value === 'string');
    expect(strings.length).toBeGreaterThanOrEqual(2);
    expect(strings.length).toBeLessThan(scenes.length / 2);
    expect(new Set(scenes.map((x) => String(x.value))).size).toBe(scenes.length);
    expect(s.stats.sceneRequests).toBe(1);
  });
});

describe('the HTTP server', () => {
  it('answers unknown paths with 404', async () => {
    const s = await start();
    for (const path of [
      '/',
      '/cgi-bin/unknown',
      '/wxaapi/userlog/userlog_search/x',
      '/wxa/business/getuserphonenumber',
    ]) {
      expect((await fetch(`${s.url}${path}`)).status).toBe(404);
    }
  });

  it('binds 127.0.0.1 on a free port and not other addresses', async () => {
    const s = await start();
    expect(s.url).toBe(`http://127.0.0.1:${s.port}`);
    expect(s.port).toBeGreaterThan(0);
    expect(await canConnect('127.0.0.1', s.port)).toBe(true);
    expect(await canConnect('::1', s.port)).toBe(false);
  });

  it('resolves its options with the documented defaults', async () => {
    const s = await start();
    expect(s.options).toMatchObject({
      appid: 'wxd0c0ffee12345678',
      secret: 'simulator-secret',
      host: '127.0.0.1',
      seed: 1,
      perDay: 20,
      callsPerMinute: 50,
      intervalMs: 60_000,
      tokenTtlMs: 7_200_000,
      tokenMaxUses: Infinity,
      classicOverlapMs: 300_000,
      forceRefreshPerDay: 20,
      faults: undefined,
      pageSizeCapMode: 'reject',
      offsetCapMode: 'empty',
      lateFraction: 0,
      order: 'newest',
      endtime: 'inclusive',
      servedDays: 7,
      dataDays: 7,
      shapeDrift: { objectMsg: 0, stringMsg: 0, numericStrings: 0, unknownFields: 0, missingTimestamp: 0 },
      dailyQuota: Infinity,
    });
    expect(s.options.now()).toBe(NOW);
  });

  it.each<[string, SimulatorOptions]>([
    ['perDay', { perDay: -1 }],
    ['perDay', { perDay: 1.5 }],
    ['callsPerMinute', { callsPerMinute: Number.NaN }],
    ['intervalMs', { intervalMs: 0 }],
    ['port', { port: 70_000 }],
    ['appid', { appid: '' }],
    ['lateFraction', { lateFraction: 1.5 }],
    ['maxPageSize', { maxPageSize: 0 }],
    ['pageSizeCapMode', { pageSizeCapMode: 'clip' as 'truncate' }],
    ['order', { order: 'random' as 'shuffled' }],
    ['endtime', { endtime: 'open' as 'exclusive' }],
    ['servedDays', { servedDays: 0 }],
    ['servedDays', { servedDays: 61 }],
    ['dataDays', { servedDays: 14, dataDays: 7 }],
    ['dataDays', { dataDays: 61 }],
    ['dailyQuota', { dailyQuota: -1 }],
  ])('refuses a bad `%s` with a message naming it', async (name, options) => {
    await expect(startSimulator(options)).rejects.toThrow(new RegExp(`\`${name}\``));
  });

  it('closes quickly with idle keep-alive connections open, and twice without harm', async () => {
    const s = await start();
    const token = await stableToken(s);
    await search(s, token, wholeDay(TODAY));
    const started = performance.now();
    await s.close();
    await s.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await canConnect('127.0.0.1', s.port)).toBe(false);
    sim = undefined;
  });

  it('prints nothing, so tokens never reach a log', async () => {
    const out = vi.spyOn(process.stdout, 'write');
    const err = vi.spyOn(process.stderr, 'write');
    const log = vi.spyOn(console, 'log');
    const error = vi.spyOn(console, 'error');
    const s = await start({ faults: { rate: 0.5, kinds: ['errcode-1', 'bad-shape'] } });
    const token = await stableToken(s);
    for (let i = 0; i < 5; i++) await search(s, token, wholeDay(TODAY));
    await search(s, 'bogus', wholeDay(TODAY));
    await getJson(`${s.url}/wxaapi/log/get_scene?access_token=${encodeURIComponent(token)}`);
    for (const spy of [out, err, log, error]) expect(spy).not.toHaveBeenCalled();
  });

  it('answers 405 for a known path with the wrong method', async () => {
    const s = await start();
    expect((await fetch(`${s.url}/cgi-bin/stable_token`)).status).toBe(405);
    expect((await fetch(`${s.url}/wxaapi/userlog/userlog_search`, { method: 'POST', body: '{}' })).status).toBe(405);
  });
});
