import { afterEach, describe, expect, it } from 'vitest';
import {
  startSimulator,
  type FaultKind,
  type Simulator,
  type SimulatorOptions,
} from '../../src/simulator/simulator.js';
import { NOW, YESTERDAY, getJson, searchUrl, stableToken, wholeDay } from './helpers.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function withFault(kind: FaultKind, options: SimulatorOptions = {}): Promise<{ s: Simulator; url: string }> {
  sim = await startSimulator({ now: () => NOW, perDay: 50, faults: { rate: 1, kinds: [kind] }, ...options });
  const token = await stableToken(sim);
  return { s: sim, url: searchUrl(sim, { access_token: token, ...wholeDay(YESTERDAY), limit: 10 }) };
}

/** What one request produced, as a client sees it. */
type Outcome =
  | { kind: 'ok' }
  | { kind: 'errcode'; errcode: number }
  | { kind: 'status'; status: number }
  | { kind: 'invalid' }
  | { kind: 'network' };

async function outcome(url: string): Promise<Outcome> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(url);
    text = await res.text();
  } catch {
    return { kind: 'network' };
  }
  if (res.status !== 200) return { kind: 'status', status: res.status };
  try {
    const body = JSON.parse(text) as { errcode: number; data?: { list: unknown; total: unknown } };
    if (body.errcode !== 0) return { kind: 'errcode', errcode: body.errcode };
    return Array.isArray(body.data?.list) && typeof body.data?.total === 'number'
      ? { kind: 'ok' }
      : { kind: 'invalid' };
  } catch {
    return { kind: 'invalid' };
  }
}

describe('faults on userlog_search', () => {
  it('errcode-1 answers HTTP 200 {errcode:-1, errmsg:"system error"}', async () => {
    const { s, url } = await withFault('errcode-1');
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ errcode: -1, errmsg: 'system error' });
    expect(s.stats.searchServed).toBe(0);
    expect(s.stats.searchArrivals).toHaveLength(1);
  });

  it('http-502 answers 502 with an HTML body', async () => {
    const { s, url } = await withFault('http-502');
    const res = await fetch(url);
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toMatch(/<html>[\s\S]*502 Bad Gateway/);
    expect(s.stats.searchServed).toBe(0);
  });

  it('reset destroys the connection without an answer', async () => {
    const { s, url } = await withFault('reset');
    await expect(fetch(url)).rejects.toThrow();
    expect(s.stats.searchServed).toBe(0);
  });

  it('truncated-json answers the first half of the real JSON body', async () => {
    const { s, url } = await withFault('truncated-json');
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const truncated = Buffer.from(await res.arrayBuffer());
    expect(() => JSON.parse(truncated.toString('utf8')) as unknown).toThrow();
    s.setFaults(undefined);
    const whole = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect((JSON.parse(whole.toString('utf8')) as { errcode: number }).errcode).toBe(0);
    expect(truncated.length).toBe(Math.floor(whole.length / 2));
    expect(whole.subarray(0, truncated.length).equals(truncated)).toBe(true);
    expect(s.stats.searchServed).toBe(1); // only the whole answer
  });

  it('html answers 200 with an HTML page', async () => {
    const { s, url } = await withFault('html');
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const text = await res.text();
    expect(text).toMatch(/^<!DOCTYPE html>/);
    expect(() => JSON.parse(text) as unknown).toThrow();
    expect(s.stats.searchServed).toBe(0);
  });

  it('bad-shape answers errcode 0 with list and total of the wrong types, not counted as served', async () => {
    const { s, url } = await withFault('bad-shape');
    expect(await getJson(url)).toEqual({ errcode: 0, data: { list: 'x', total: 'y' } });
    expect(s.stats.searchServed).toBe(0);
  });

  it('stall waits stallMs, then answers normally', async () => {
    const { s, url } = await withFault('stall', { faults: { rate: 1, kinds: ['stall'], stallMs: 400 } });
    const started = performance.now();
    const body = (await getJson(url)) as { errcode: number; data: { list: unknown[] } };
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
    expect(body.errcode).toBe(0);
    expect(body.data.list).toHaveLength(10);
    expect(s.stats.searchServed).toBe(1); // a late answer is still an answer
  });

  it('stall stops waiting when the client goes away', async () => {
    const { s, url } = await withFault('stall', { faults: { rate: 1, kinds: ['stall'], stallMs: 500 } });
    await expect(fetch(url, { signal: AbortSignal.timeout(150) })).rejects.toThrow();
    // Had the stall kept waiting, it would have answered (and counted) the gone client at 500 ms.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(s.stats.searchServed).toBe(0);
    expect(s.stats.searchArrivals).toHaveLength(1);
  });

  it('close() ends stalled requests at once', async () => {
    const { s, url } = await withFault('stall', { faults: { rate: 1, kinds: ['stall'], stallMs: 60_000 } });
    const pending = fetch(url).then(
      () => 'answered',
      () => 'failed',
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = performance.now();
    await s.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await pending).toBe('failed');
    expect(s.stats.searchServed).toBe(0);
  });

  it('injects the default kinds at about `rate`, replayably for the same seed', async () => {
    const run = async (): Promise<Outcome[]> => {
      sim = await startSimulator({ now: () => NOW, perDay: 50, callsPerMinute: 1000, seed: 7, faults: { rate: 0.3 } });
      const url = searchUrl(sim, { access_token: await stableToken(sim), ...wholeDay(YESTERDAY), limit: 5 });
      const outcomes: Outcome[] = [];
      for (let i = 0; i < 80; i++) outcomes.push(await outcome(url));
      const served = outcomes.filter((o) => o.kind === 'ok').length;
      expect(sim.stats.searchServed).toBe(served);
      await sim.close();
      sim = undefined;
      return outcomes;
    };
    const first = await run();
    const faulty = first.filter((o) => o.kind !== 'ok');
    expect(faulty.length).toBeGreaterThan(80 * 0.15);
    expect(faulty.length).toBeLessThan(80 * 0.45);
    // The default kinds, each seen: errcode -1, HTTP 502, a reset connection, a truncated body.
    const seen = new Set(
      faulty.map((o) =>
        o.kind === 'errcode' ? `errcode ${o.errcode}` : o.kind === 'status' ? `status ${o.status}` : o.kind,
      ),
    );
    expect(seen).toEqual(new Set(['errcode -1', 'status 502', 'network', 'invalid']));
    expect(await run()).toEqual(first);
  });

  it('leaves token and scene endpoints alone, and setFaults(undefined) turns faults off', async () => {
    const { s, url } = await withFault('errcode-1');
    const token = await stableToken(s);
    expect((await getJson(`${s.url}/wxaapi/log/get_scene?access_token=${encodeURIComponent(token)}`))['errcode']).toBe(
      0,
    );
    expect(await outcome(url)).toEqual({ kind: 'errcode', errcode: -1 });
    s.setFaults(undefined);
    expect(await outcome(url)).toEqual({ kind: 'ok' });
    s.setFaults({ rate: 1, kinds: ['http-502'] });
    expect(await outcome(url)).toEqual({ kind: 'status', status: 502 });
  });

  it('applies after the token and rate checks', async () => {
    const { s, url } = await withFault('http-502', { callsPerMinute: 1 });
    expect((await getJson(searchUrl(s, { access_token: 'bogus', ...wholeDay(YESTERDAY) })))['errcode']).toBe(40001);
    expect(await outcome(url)).toEqual({ kind: 'status', status: 502 });
    expect(await outcome(url)).toEqual({ kind: 'errcode', errcode: 200010 });
  });

  it('rejects fault options it does not know', async () => {
    await expect(startSimulator({ faults: { rate: 2 } })).rejects.toThrow(/faults\.rate/);
    await expect(startSimulator({ faults: { rate: 0.1, kinds: ['boom' as FaultKind] } })).rejects.toThrow(
      /faults\.kinds/,
    );
  });
});
