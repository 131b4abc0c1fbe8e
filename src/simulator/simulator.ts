import { setMaxListeners } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { recentCstDays } from '../wechat/cst-day.js';
import type { LogEntry } from '../wechat/types.js';
import type { ResolvedSimulatedApp, SimulatedAppOptions } from './app-list.js';
import { AppRegistry } from './app-registry.js';
import { resolveFaults } from './faults.js';
import { dailyQuotaOption, resolveSimulatorOptions, servedDaysOption } from './options.js';
import { createRequestHandler } from './request-handler.js';
import type { ResultOrder } from './result-order.js';
import type { ResolvedShapeDrift, ShapeDriftOptions } from './shape-drift.js';
import { emptyStats } from './simulated-app.js';
import { maxInAnyInterval } from './sliding-limiter.js';
import { TOKEN_SERVICE_PATH, type TokenServiceFailure } from './token-service.js';

/**
 * The built-in WeChat API simulator: a loopback HTTP server that answers `stable_token`, `cgi-bin/token`,
 * `userlog_search`, `get_scene` and getApiQuota (`openapi/quota/get`) as WeChat's documents describe,
 * with seeded data, a sliding rate limit, a daily quota, token expiry and optional faults. Where the
 * documents leave behaviour open (order, endtime, retention, page size, shapes), options play each
 * plausible variant; every default is the plainest reading. It serves one app, or many (`apps`,
 * `appCount`), each with its own secret, data, rate limit, quota and tokens, and a central token service
 * (`GET /token-service/token?appid=APPID`) as companies and third-party platforms run one
 * (docs/configuration.md, "Many apps"). Tests, `wxlog demo` and benchmarks run against it.
 */

export type { ResultOrder } from './result-order.js';
export type { ShapeDriftOptions } from './shape-drift.js';
export type { ResolvedSimulatedApp, SimulatedAppOptions } from './app-list.js';
export type { TokenServiceFailure } from './token-service.js';
export { TOKEN_SERVICE_PATH };

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
  /** The only app's AppID, default 'wxd0c0ffee12345678'; not allowed with `apps` or `appCount`. */
  appid?: string;
  /** The only app's AppSecret, default 'simulator-secret'; not allowed with `apps` or `appCount`. */
  secret?: string;
  /**
   * Many apps instead of one, each with its own secret, data, rate limit, daily quota, tokens and stats;
   * a field left out takes the top-level option (`seed`: one derived from it and the app's place, so two
   * apps' data differ). The first app is the default app of every method that takes an optional appid.
   */
  apps?: SimulatedAppOptions[];
  /**
   * This many more apps (1 to 100 000), after `apps`: AppIDs `wx` + 16 lowercase hex digits and
   * 32-hex-digit secrets derived from `seed` and the index, the top-level per-app options each.
   * Cheap: an app's state is made on its first use.
   */
  appCount?: number;
  /** Per AppID, how the token service fails (setTokenServiceFailure changes it); default none. */
  tokenServiceFailures?: Record<string, TokenServiceFailure>;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Default 1; the same seed and the same `now` give identical data. */
  seed?: number;
  /** Entries per CST day at full day, default 200 (up to 2 097 152); per app with `apps`. */
  perDay?: number;
  /**
   * Calendar clock (unix ms) deciding "today", retention and which of today's entries exist yet
   * (timestamp <= now). Default Date.now. Rate limiting and token expiry use real time instead.
   */
  now?: () => number;
  /** `userlog_search` requests allowed per sliding interval, per app, default 50. */
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
  /**
   * Every request (token, search, scenes, quota, token service) is handled this many milliseconds after it
   * arrived, as if it had taken that long to reach WeChat: a cloud region's round trip is of the order of
   * 200 ms. Stats stamp the request when it is handled. Default 0.
   */
  latencyMs?: number;
}

/**
 * Options after defaults; `faults` is undefined when none are injected. `appid`, `secret` and
 * `dailyQuota` are the default app's (the only one, or the first); `perDay` and `callsPerMinute` are the
 * top-level values apps take unless they set their own.
 */
export type ResolvedSimulatorOptions = Required<
  Omit<SimulatorOptions, 'faults' | 'shapeDrift' | 'apps' | 'appCount' | 'tokenServiceFailures'>
> & {
  faults: Required<FaultOptions> | undefined;
  shapeDrift: ResolvedShapeDrift;
  /** Every app served, the default app first. */
  apps: ResolvedSimulatedApp[];
  /** The token service's failure per AppID, as setTokenServiceFailure leaves it. */
  tokenServiceFailures: Map<string, TokenServiceFailure>;
};

/**
 * Request counters: `Simulator.stats` over every app (requests that name no app included), statsFor()
 * one app's (the requests whose AppID or token is that app's).
 */
export interface SimulatorStats {
  /** Arrival time (Date.now()) of every `userlog_search` HTTP request, rejected or faulty ones included. */
  searchArrivals: number[];
  /** How many answered 200010. */
  searchRateLimited: number;
  /** How many answered errcode 0 with a page (faults excluded; a stalled request that was answered counts). */
  searchServed: number;
  tokenRequests: { stable: number; classic: number; forceRefresh: number };
  /** Requests to the central token service (`GET /token-service/token`), failed ones included. */
  tokenServiceRequests: number;
  sceneRequests: number;
  /** getApiQuota requests, refused ones included. */
  quotaRequests: number;
}

export interface Simulator {
  /** 'http://127.0.0.1:PORT' */
  readonly url: string;
  readonly port: number;
  readonly options: Readonly<ResolvedSimulatorOptions>;
  /** Totals over every app. */
  readonly stats: SimulatorStats;
  /** Closes the server and every open socket (stalled ones too). */
  close(): Promise<void>;
  /** Every app served, the default app first: what to configure an exporter with (fake secrets). */
  apps(): { appid: string; secret: string }[];
  /** `url` of the central token service with `{appid}` left to replace, as WXLOG_TOKEN_URL takes it. */
  readonly tokenServiceUrl: string;
  /** One app's counters (live, like `stats`); a RangeError for an AppID the simulator does not serve. */
  statsFor(appid: string): SimulatorStats;
  /** CST days currently served (today and servedDays - 1 before, per `now`), oldest first. */
  retentionDays(): string[];
  /** CST days currently holding entries (today and dataDays - 1 before), oldest first; served or not. */
  dataDays(): string[];
  /*
   * The methods below that take an optional `appid` act on that app, by default on the default app;
   * an AppID the simulator does not serve is a RangeError.
   */
  /**
   * Exactly what a client can obtain for `day` with valid requests and no filters, in the server's order
   * and serialized as served: [] for a day not served, without the day's last second under 'exclusive'.
   * With `shapeDrift`, some entries deliberately break `LogEntry`'s declared types (a `msg` object or
   * string, numbers as strings, no `timestamp`): treat them as the JSON that went over the wire.
   */
  entriesForDay(day: string, appid?: string): LogEntry[];
  /** How many entries entriesForDay(day) holds, without materializing them (fast even at 150k/day). */
  countForDay(day: string, appid?: string): number;
  /** entriesForDay() of every day of retentionDays(), oldest day first. */
  allEntries(appid?: string): LogEntry[];
  /** Makes held-back late entries visible; returns how many. */
  releaseLate(appid?: string): number;
  /**
   * Adds `count` new entries to `day`, timestamps spread within `between` (inclusive unix seconds) or the
   * part of the day up to now; visible at once. Returns them newest first (whatever `order`), serialized
   * as served (with `shapeDrift` applied).
   */
  addEntries(day: string, count: number, between?: [number, number], appid?: string): LogEntry[];
  /**
   * After each of the next `times` (default 1) served pages with start > 0, inserts `count` new entries
   * with timestamps inside that request's [begintime, endtime] (and not after now).
   */
  addDuringPaging(count: number, times?: number, appid?: string): void;
  /** Faults of every app. */
  setFaults(faults: FaultOptions | undefined): void;
  /**
   * A plan change, for every app: from now on the last `days` (1 to 60) CST days are served, so older
   * days with data become servable or stop being. Days served beyond dataDays answer total 0 (their logs are gone).
   */
  setServedDays(days: number): void;
  /** Changes the daily quota of `userlog_search` (an integer >= 0 or Infinity); today's use is kept. */
  setDailyQuota(limit: number, appid?: string): void;
  /** How the token service fails for `appid` from now on; null: it answers normally again. */
  setTokenServiceFailure(appid: string, failure: TokenServiceFailure | null): void;
  /** Expires every token of every app now (next use answers 42001). */
  expireTokens(): void;
  /**
   * Most `userlog_search` arrivals inside any sliding window of `intervalMs`: of one app, or of all
   * (from stats.searchArrivals) when no appid is given.
   */
  maxSearchesInAnyInterval(intervalMs: number, appid?: string): number;
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`Expected \`${name}\` to be an integer >= 1, got ${value}`);
}

/** Starts the simulator on `host:port` (127.0.0.1, any free port by default). */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const resolved = resolveSimulatorOptions(options);
  const stats = emptyStats();
  const apps = new AppRegistry(resolved, () => performance.now());
  const closing = new AbortController();
  // Every request waiting (latencyMs, a stall) listens for the close: any number of them at once.
  setMaxListeners(0, closing.signal);
  const handler = createRequestHandler({ options: resolved, apps, stats, closing: closing.signal });

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

  const url = `http://${host}:${port}`;
  const store = (appid?: string) => apps.require(appid).store;
  const retentionDays = (): string[] => recentCstDays(Math.floor(resolved.now() / 1000), resolved.servedDays);
  return {
    url,
    port,
    options: resolved,
    stats,
    close,
    apps: () => apps.list(),
    tokenServiceUrl: `${url}${TOKEN_SERVICE_PATH}?appid={appid}`,
    statsFor: (appid) => apps.require(appid).stats,
    retentionDays,
    dataDays: () => recentCstDays(Math.floor(resolved.now() / 1000), resolved.dataDays),
    entriesForDay: (day, appid) => store(appid).entries(day),
    countForDay: (day, appid) => store(appid).count(day),
    allEntries: (appid) => {
      const one = store(appid);
      return retentionDays().flatMap((day) => one.entries(day));
    },
    releaseLate: (appid) => store(appid).releaseLate(),
    addEntries: (day, count, between, appid) => store(appid).add(day, count, between),
    addDuringPaging: (count, times = 1, appid) => {
      positiveInteger('count', count);
      positiveInteger('times', times);
      apps.require(appid).pagingInserts.push({ count, remaining: times });
    },
    setFaults: (faults) => {
      resolved.faults = resolveFaults(faults);
    },
    setServedDays: (days) => {
      resolved.servedDays = servedDaysOption(days);
      // Apps made later read resolved.servedDays.
      for (const app of apps.created()) app.store.setServedDays(days);
    },
    setDailyQuota: (limit, appid) => {
      const app = apps.require(appid);
      app.quota.setLimit(dailyQuotaOption(limit));
      if (app.appid === apps.defaultAppid) resolved.dailyQuota = limit;
    },
    setTokenServiceFailure: (appid, failure) => apps.setTokenServiceFailure(appid, failure),
    expireTokens: () => {
      for (const app of apps.created()) app.tokens.expireAll();
    },
    maxSearchesInAnyInterval: (intervalMs, appid) =>
      maxInAnyInterval(
        appid === undefined ? stats.searchArrivals : apps.require(appid).stats.searchArrivals,
        intervalMs,
      ),
  };
}
