import { afterEach } from 'vitest';
import {
  ExportEvents,
  type ExportEvent,
  type ExportEventOf,
  type RequestResult,
} from '../../src/events/export-events.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/simulator.js';
import { cstDayBounds } from '../../src/wechat/cst-day.js';
import type { WechatApi } from '../../src/wechat/errors.js';
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

const toldBy = new WeakMap<WechatClient, ExportEvent[]>();

/**
 * A stable-token client of `sim`'s app, closed after the test. What it tells its event stream (`options.events`
 * or one of its own) is kept: {@link requestsOf}, {@link outcomes}, {@link toldOf}.
 */
export function client(sim: Simulator, options: Partial<WechatClientOptions> = {}): WechatClient {
  const events = options.events ?? new ExportEvents();
  const told: ExportEvent[] = [];
  events.on((e) => told.push(e));
  const c = new WechatClient({
    apiBase: sim.url,
    appid: sim.options.appid,
    secret: sim.options.secret,
    tokenMode: 'stable',
    retryPolicy: FAST_RETRIES,
    ...options,
    events,
  });
  toldBy.set(c, told);
  cleanups.push(() => c.close());
  return c;
}

/** Every event a client of {@link client} has emitted so far, in order. */
export function toldOf(c: WechatClient): ExportEvent[] {
  const told = toldBy.get(c);
  if (!told) throw new Error('not a client of the fixture');
  return told;
}

/** The `request` events of `c` so far, those of `api` when given: one per request sent and ended. */
export function requestsOf(c: WechatClient, api?: WechatApi): ExportEventOf<'request'>[] {
  return toldOf(c).filter(
    (e): e is ExportEventOf<'request'> => e.type === 'request' && (api === undefined || e.api === api),
  );
}

/** How the requests of `c` (of `api`) ended so far, by result: `{ ok: 3, rate: 1 }`. */
export function outcomes(c: WechatClient, api?: WechatApi): Partial<Record<RequestResult, number>> {
  const counts: Partial<Record<RequestResult, number>> = {};
  for (const e of requestsOf(c, api)) counts[e.result] = (counts[e.result] ?? 0) + 1;
  return counts;
}

/** How many `token` events of `result` `c` emitted: tokens obtained (`ok`), or fetches given up on. */
export function tokenEvents(c: WechatClient, result: 'ok' | 'error' = 'ok'): number {
  return toldOf(c).filter((e) => e.type === 'token' && e.result === result).length;
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
