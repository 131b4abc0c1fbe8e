import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { LogEntry } from '../wechat/types.js';
import { ApiQuota } from './api-quota.js';
import { FaultDice, resolveFaults } from './faults.js';
import { LogStore } from './log-store.js';
import { dailyQuotaOption, resolveSimulatorOptions, servedDaysOption } from './options.js';
import { hashInts } from './prng.js';
import { createRequestHandler, type PagingInsert } from './request-handler.js';
import type { ResultOrder } from './result-order.js';
import type { ResolvedShapeDrift, ShapeDriftOptions } from './shape-drift.js';
import { SlidingLimiter, maxInAnyInterval } from './sliding-limiter.js';
import { TokenRegistry } from './token-registry.js';

/**
 * The built-in WeChat API simulator: a loopback HTTP server that answers `stable_token`, `cgi-bin/token`,
 * `userlog_search`, `get_scene` and getApiQuota (`openapi/quota/get`) as WeChat's documents describe,
 * with seeded data, a sliding rate limit, a daily quota, token expiry and optional faults. Where the
 * documents leave behaviour open (order, endtime, retention, page size, shapes), options play each
 * plausible variant; every default is the plainest reading. Tests, `wxlog demo` and benchmarks run against it.
 */

export type { ResultOrder } from './result-order.js';
export type { ShapeDriftOptions } from './shape-drift.js';

export type FaultKind = 'errcode-1' | 'http-502' | 'reset' | 'truncated-json' | 'stall' | 'html' | 'bad-shape';

export interface FaultOptions {
  /** Share (0..1) of `userlog_search` responses that fail. */
  rate: number;
  /** Default: errcode-1, http-502, reset, truncated-json. */
  kinds?: FaultKind[];
  /** How long a `stall` waits before answering; default 30 000. */
  stallMs?: number;
}

export interface SimulatorOptions {
  /** Default 'wxd0c0ffee12345678'. */
  appid?: string;
  /** Default 'simulator-secret'. */
  secret?: string;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Default 1; the same seed and the same `now` give identical data. */
  seed?: number;
  /** Entries per CST day at full day, default 200 (up to 2 097 152). */
  perDay?: number;
  /**
   * Calendar clock (unix ms) deciding "today", retention and which of today's entries exist yet
   * (timestamp <= now). Default Date.now. Rate limiting and token expiry use real time instead.
   */
  now?: () => number;
  /** `userlog_search` requests allowed per sliding interval, default 50. */
  callsPerMinute?: number;
  /** That interval, default 60 000 ms. */
  intervalMs?: number;
  /** Access-token lifetime, default 7 200 000 ms. */
  tokenTtlMs?: number;
  /** A token expires (42001) after this many API calls with it; default Infinity. */
  tokenMaxUses?: number;
  /** `cgi-bin/token`: how long the previous token stays valid, default 300 000 ms. */
  classicOverlapMs?: number;
  /** `stable_token` force_refresh calls allowed per CST day (of `now`), default 20; then errcode 45009. */
  forceRefreshPerDay?: number;
  faults?: FaultOptions;
  /** Cap on `limit`; default none. */
  maxPageSize?: number;
  /** Above the cap: 'truncate' returns at most the cap, 'reject' answers 200002 (default). */
  pageSizeCapMode?: 'truncate' | 'reject';
  /** Largest reachable `start`: `start >= maxOffset` is not served. Default none. */
  maxOffset?: number;
  /** Past the cap: 'empty' (default) answers an empty list with the true total, 'reject' answers 200002. */
  offsetCapMode?: 'empty' | 'reject';
  /** Share (0..1) of generated entries held back until `releaseLate()`; default 0. */
  lateFraction?: number;
  /**
   * Order of `list`: 'newest' first (default; ties: later added first), 'oldest' first (exactly the
   * reverse), or 'shuffled': unrelated to time but the same on every call, a later entry taking a
   * hash-determined place. Filtered queries follow it too.
   */
  order?: ResultOrder;
  /** 'inclusive' (default) serves entries at exactly `endtime`; 'exclusive' does not (begintime stays inclusive). */
  endtime?: 'inclusive' | 'exclusive';
  /** CST days served, today included, 1 to 60; default 7. An older date answers 200002. */
  servedDays?: number;
  /** CST days that hold entries, today included, from servedDays to 60; default servedDays. */
  dataDays?: number;
  /** Shares (0..1) of entries served in undocumented shapes; default none. */
  shapeDrift?: ShapeDriftOptions;
  /**
   * `userlog_search` calls answered (errcode 0) per CST day of `now` before errcode 45009; default
   * Infinity (getApiQuota then reports a daily limit of 100 000).
   */
  dailyQuota?: number;
}

/** Options after defaults; `faults` is undefined when none are injected. */
export type ResolvedSimulatorOptions = Required<Omit<SimulatorOptions, 'faults' | 'shapeDrift'>> & {
  faults: Required<FaultOptions> | undefined;
  shapeDrift: ResolvedShapeDrift;
};

export interface SimulatorStats {
  /** Arrival time (Date.now()) of every `userlog_search` HTTP request, rejected or faulty ones included. */
  searchArrivals: number[];
  /** How many answered 200010. */
  searchRateLimited: number;
  /** How many answered errcode 0 with a page (faults excluded; a stalled request that was answered counts). */
  searchServed: number;
  tokenRequests: { stable: number; classic: number; forceRefresh: number };
  sceneRequests: number;
  /** getApiQuota requests, refused ones included. */
  quotaRequests: number;
}

export interface Simulator {
  /** 'http://127.0.0.1:PORT' */
  readonly url: string;
  readonly port: number;
  readonly options: Readonly<ResolvedSimulatorOptions>;
  readonly stats: SimulatorStats;
  /** Closes the server and every open socket (stalled ones too). */
  close(): Promise<void>;
  /** CST days currently served (today and servedDays - 1 before, per `now`), oldest first. */
  retentionDays(): string[];
  /** CST days currently holding entries (today and dataDays - 1 before), oldest first; served or not. */
  dataDays(): string[];
  /**
   * Exactly what a client can obtain for `day` with valid requests and no filters, in the server's order
   * and serialized as served: [] for a day not served, without the day's last second under 'exclusive'.
   * With `shapeDrift`, some entries deliberately break `LogEntry`'s declared types (a `msg` object or
   * string, numbers as strings, no `timestamp`): treat them as the JSON that went over the wire.
   */
  entriesForDay(day: string): LogEntry[];
  /** How many entries entriesForDay(day) holds, without materializing them (fast even at 150k/day). */
  countForDay(day: string): number;
  /** entriesForDay() of every day of retentionDays(), oldest day first. */
  allEntries(): LogEntry[];
  /** Makes held-back late entries visible; returns how many. */
  releaseLate(): number;
  /**
   * Adds `count` new entries to `day`, timestamps spread within `between` (inclusive unix seconds) or the
   * part of the day up to now; visible at once. Returns them newest first (whatever `order`), serialized
   * as served (with `shapeDrift` applied).
   */
  addEntries(day: string, count: number, between?: [number, number]): LogEntry[];
  /**
   * After each of the next `times` (default 1) served pages with start > 0, inserts `count` new entries
   * with timestamps inside that request's [begintime, endtime] (and not after now).
   */
  addDuringPaging(count: number, times?: number): void;
  setFaults(faults: FaultOptions | undefined): void;
  /**
   * A plan change: from now on the last `days` (1 to 60) CST days are served, so older days with data
   * become servable or stop being. Days served beyond dataDays answer total 0 (their logs are gone).
   */
  setServedDays(days: number): void;
  /** Changes the daily quota of `userlog_search` (an integer >= 0 or Infinity); today's use is kept. */
  setDailyQuota(limit: number): void;
  /** Expires every token now (next use answers 42001). */
  expireTokens(): void;
  /** Most `userlog_search` arrivals inside any sliding window of `intervalMs` (from stats.searchArrivals). */
  maxSearchesInAnyInterval(intervalMs: number): number;
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`Expected \`${name}\` to be an integer >= 1, got ${value}`);
}

/** Starts the simulator on `host:port` (127.0.0.1, any free port by default). */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const resolved = resolveSimulatorOptions(options);
  const seed = hashInts(resolved.seed % 2 ** 32, Math.floor(resolved.seed / 2 ** 32));
  const realClock = (): number => performance.now();
  const stats: SimulatorStats = {
    searchArrivals: [],
    searchRateLimited: 0,
    searchServed: 0,
    tokenRequests: { stable: 0, classic: 0, forceRefresh: 0 },
    sceneRequests: 0,
    quotaRequests: 0,
  };
  const store = new LogStore({
    seed,
    perDay: resolved.perDay,
    lateFraction: resolved.lateFraction,
    now: resolved.now,
    order: resolved.order,
    endtime: resolved.endtime,
    servedDays: resolved.servedDays,
    dataDays: resolved.dataDays,
    shapeDrift: resolved.shapeDrift,
  });
  const quota = new ApiQuota(resolved.dailyQuota, resolved.now);
  const tokens = new TokenRegistry({
    ttlMs: resolved.tokenTtlMs,
    maxUses: resolved.tokenMaxUses,
    classicOverlapMs: resolved.classicOverlapMs,
    clock: realClock,
  });
  const pagingInserts: PagingInsert[] = [];
  const closing = new AbortController();
  const handler = createRequestHandler({
    options: resolved,
    store,
    quota,
    tokens,
    limiter: new SlidingLimiter(resolved.callsPerMinute, resolved.intervalMs, realClock),
    dice: new FaultDice(seed),
    stats,
    pagingInserts,
    closing: closing.signal,
  });

  const sockets = new Set<Socket>();
  const server = createServer(handler);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      closing.abort();
      server.close(() => resolve());
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
    });
    return closed;
  };

  return {
    url: `http://${host}:${port}`,
    port,
    options: resolved,
    stats,
    close,
    retentionDays: () => store.retentionDays(),
    dataDays: () => store.dataDays(),
    entriesForDay: (day) => store.entries(day),
    countForDay: (day) => store.count(day),
    allEntries: () => store.retentionDays().flatMap((day) => store.entries(day)),
    releaseLate: () => store.releaseLate(),
    addEntries: (day, count, between) => store.add(day, count, between),
    addDuringPaging: (count, times = 1) => {
      positiveInteger('count', count);
      positiveInteger('times', times);
      pagingInserts.push({ count, remaining: times });
    },
    setFaults: (faults) => {
      resolved.faults = resolveFaults(faults);
    },
    setServedDays: (days) => {
      resolved.servedDays = servedDaysOption(days);
      store.setServedDays(days);
    },
    setDailyQuota: (limit) => {
      resolved.dailyQuota = dailyQuotaOption(limit);
      quota.setLimit(limit);
    },
    expireTokens: () => tokens.expireAll(),
    maxSearchesInAnyInterval: (intervalMs) => maxInAnyInterval(stats.searchArrivals, intervalMs),
  };
}
