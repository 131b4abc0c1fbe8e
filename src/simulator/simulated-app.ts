import { ApiQuota } from './api-quota.js';
import type { ResolvedSimulatedApp } from './app-list.js';
import { FaultDice } from './faults.js';
import { LogStore } from './log-store.js';
import type { ResolvedSimulatorOptions, SimulatorStats } from './simulator.js';
import { SlidingLimiter } from './sliding-limiter.js';
import { TokenRegistry } from './token-registry.js';

/** A pending `addDuringPaging` request. */
export interface PagingInsert {
  count: number;
  remaining: number;
}

/** Counters at zero, in the shape of `Simulator.stats`. */
export function emptyStats(): SimulatorStats {
  return {
    searchArrivals: [],
    searchRateLimited: 0,
    searchServed: 0,
    tokenRequests: { stable: 0, classic: 0, forceRefresh: 0 },
    tokenServiceRequests: 0,
    sceneRequests: 0,
    quotaRequests: 0,
  };
}

export interface SimulatedAppDeps {
  app: ResolvedSimulatedApp;
  /** The simulator's options: calendar clock, token lifetimes, order, retention, shape drift. */
  options: ResolvedSimulatorOptions;
  /** Real time in ms (monotonic), for the rate limit and token lifetimes. */
  realClock: () => number;
  owners: { issued(token: string): void; dropped(token: string): void };
}

/**
 * Everything the simulator keeps for one app: its data, quota, tokens, rate limit, fault dice and
 * counters. Made on the app's first use, so that a simulator of a thousand apps that are never asked
 * costs next to nothing.
 */
export class SimulatedApp {
  readonly appid: string;
  readonly secret: string;
  readonly callsPerMinute: number;
  readonly store: LogStore;
  readonly quota: ApiQuota;
  readonly tokens: TokenRegistry;
  readonly limiter: SlidingLimiter;
  readonly dice: FaultDice;
  readonly stats: SimulatorStats = emptyStats();
  readonly pagingInserts: PagingInsert[] = [];
  /** `stable_token` force_refresh calls on `day` (CST), limited per day. */
  readonly forceRefreshes = { day: '', count: 0 };

  constructor({ app, options, realClock, owners }: SimulatedAppDeps) {
    this.appid = app.appid;
    this.secret = app.secret;
    this.callsPerMinute = app.callsPerMinute;
    this.store = new LogStore({
      seed: app.dataSeed,
      perDay: app.perDay,
      lateFraction: options.lateFraction,
      now: options.now,
      order: options.order,
      endtime: options.endtime,
      servedDays: options.servedDays,
      dataDays: options.dataDays,
      shapeDrift: options.shapeDrift,
    });
    this.quota = new ApiQuota(app.dailyQuota, options.now);
    this.tokens = new TokenRegistry({
      ttlMs: options.tokenTtlMs,
      maxUses: options.tokenMaxUses,
      classicOverlapMs: options.classicOverlapMs,
      clock: realClock,
      owners,
    });
    this.limiter = new SlidingLimiter(app.callsPerMinute, options.intervalMs, realClock);
    this.dice = new FaultDice(app.dataSeed);
  }
}
