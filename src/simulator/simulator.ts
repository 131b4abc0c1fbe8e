import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { LogEntry } from '../wechat/types.js';
import { FaultDice, resolveFaults } from './faults.js';
import { LogStore } from './log-store.js';
import { resolveSimulatorOptions } from './options.js';
import { hashInts } from './prng.js';
import { createRequestHandler, type PagingInsert } from './request-handler.js';
import { SlidingLimiter, maxInAnyInterval } from './sliding-limiter.js';
import { TokenRegistry } from './token-registry.js';

/**
 * The built-in WeChat API simulator: a loopback HTTP server that answers `stable_token`, `cgi-bin/token`,
 * `userlog_search` and `get_scene` as WeChat's documents describe, with seeded data, a sliding rate limit,
 * token expiry and optional faults. Tests, `wxlog demo` and benchmarks run against it.
 */

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
}

/** Options after defaults; `faults` is undefined when none are injected. */
export type ResolvedSimulatorOptions = Required<Omit<SimulatorOptions, 'faults'>> & {
  faults: Required<FaultOptions> | undefined;
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
}

export interface Simulator {
  /** 'http://127.0.0.1:PORT' */
  readonly url: string;
  readonly port: number;
  readonly options: Readonly<ResolvedSimulatorOptions>;
  readonly stats: SimulatorStats;
  /** Closes the server and every open socket (stalled ones too). */
  close(): Promise<void>;
  /** CST days currently inside retention (today and 6 before, per `now`), oldest first. */
  retentionDays(): string[];
  /** Entries currently served for `day` with no filters, in the server's order (newest first). */
  entriesForDay(day: string): LogEntry[];
  /** Count without materializing (fast even at 150k/day). */
  countForDay(day: string): number;
  /** All entries currently served across retentionDays(), day by day (oldest day first), each day newest first. */
  allEntries(): LogEntry[];
  /** Makes held-back late entries visible; returns how many. */
  releaseLate(): number;
  /**
   * Adds `count` new entries to `day`, timestamps spread within `between` (inclusive unix seconds) or the
   * part of the day up to now; visible at once. Returns them, newest first.
   */
  addEntries(day: string, count: number, between?: [number, number]): LogEntry[];
  /**
   * After each of the next `times` (default 1) served pages with start > 0, inserts `count` new entries
   * with timestamps inside that request's [begintime, endtime] (and not after now).
   */
  addDuringPaging(count: number, times?: number): void;
  setFaults(faults: FaultOptions | undefined): void;
  /** Expires every token now (next use answers 42001). */
  expireTokens(): void;
  /** Most `userlog_search` arrivals inside any sliding window of `intervalMs` (from stats.searchArrivals). */
  maxSearchesInAnyInterval(intervalMs: number): number;
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`Expected \`${name}\` to be an integer >= 1, got ${value}`);
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
  };
  const store = new LogStore({ seed, perDay: resolved.perDay, lateFraction: resolved.lateFraction, now: resolved.now });
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
    expireTokens: () => tokens.expireAll(),
    maxSearchesInAnyInterval: (intervalMs) => maxInAnyInterval(stats.searchArrivals, intervalMs),
  };
}
