import { afterEach } from 'vitest';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/simulator.js';
import { cstDayBounds } from '../../src/wechat/cst-day.js';
import type { SearchParams } from '../../src/wechat/types.js';
import { WechatClient, type WechatClientOptions } from '../../src/wechat/wechat-client.js';
import { MIDDAY_CST_MS } from '../helpers/fixed-now.js';

/** The simulator's calendar clock: 2026-11-22 12:00 CST, so 20261121 is a whole day inside retention. */
export const NOW_MS = MIDDAY_CST_MS;
export const DAY = '20261121';

/** Short delays so that retry tests take milliseconds, with the table's retry counts kept. */
export const FAST_RETRIES: WechatClientOptions['retryPolicy'] = {
  rate: { baseDelayMs: 5, maxDelayMs: 20 },
  transient: { baseDelayMs: 1, maxDelayMs: 5 },
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A simulator closed after the test. */
export async function simulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await startSimulator({ now: () => NOW_MS, ...options });
  cleanups.push(() => sim.close());
  return sim;
}

/** A stable-token client of `sim`'s app, closed after the test. */
export function client(sim: Simulator, options: Partial<WechatClientOptions> = {}): WechatClient {
  const c = new WechatClient({
    apiBase: sim.url,
    appid: sim.options.appid,
    secret: sim.options.secret,
    tokenMode: 'stable',
    retryPolicy: FAST_RETRIES,
    ...options,
  });
  cleanups.push(() => c.close());
  return c;
}

/** The whole of `day` from `start`. */
export function wholeDay(start = 0, limit = 100, day = DAY): SearchParams {
  const { begin, end } = cstDayBounds(day);
  return { date: day, begintime: begin, endtime: end, start, limit };
}

/** What `promise` rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection, but the promise resolved');
}
