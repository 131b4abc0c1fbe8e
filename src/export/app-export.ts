import type { Pool } from 'undici';
import type { AppConfig } from '../config/app-config.js';
import { filterKey } from '../config/filter-key.js';
import { coerceError } from '../errors/coerce-error.js';
import { ExportEvents } from '../events/export-events.js';
import type { Logger } from '../log/logger.js';
import type { AsyncStore, WriteFence } from '../store/async-store.js';
import { WechatClient, type WechatClientOptions } from '../wechat/wechat-client.js';
import { ExitCode } from './exit-code.js';
import { RateBudget } from './rate-budget.js';
import { runExport, type DayOutcome, type ExportApi, type ExportResult } from './run-export.js';

/** What every app's export of one pass shares: the process part (export-pass.ts) provides it. */
export interface AppExportContext {
  store: AsyncStore;
  /** `run`, `daemon` or `demo`: recorded in `runs`. */
  command: string;
  /** The process, `host:pid`, recorded in `runs.worker`. */
  worker: string;
  pid: number;
  apiBase: string;
  /** The interval of every app's call budget (WXLOG_RATE_INTERVAL_MS). */
  rateIntervalMs: number;
  /** Connections to the API shared by every app's client. */
  httpPool?: Pool;
  logger: Logger;
  now: () => number;
  /** The clock of the rate budgets, shared by every worker (shared-clock.ts); default `now`. */
  budgetNow?: () => number;
  signal?: AbortSignal;
  /** Where every event of the apps' exports goes on to (the metrics, the progress line). */
  events?: ExportEvents;
  /**
   * Client settings for tests and the demo (timeouts, retry delays). Not its `events`: each app's client
   * emits into the app's own stream, which passes every event on to `events`.
   */
  client?: Partial<WechatClientOptions>;
  /** Environment of `command` token modes (the CLI's, with only what a token command needs). */
  tokenEnv?: Record<string, string | undefined>;
  /** Wraps the client the export reads through (the progress line follows its calls). */
  follow?: (appid: string, api: ExportApi) => ExportApi;
  onDayDone?: (appid: string, day: DayOutcome) => void;
}

/** What one app's export adds to the pass's context. */
export interface AppLease {
  /** The lease every write of the app's data is fenced by (PostgreSQL: AsyncStore.fencedBy); none on SQLite. */
  fence?: WriteFence;
  /** Aborted when the lease is lost (the reason a LeaseLostError), or with the pass. */
  signal?: AbortSignal;
}

/** One app's share of a pass. */
export interface AppOutcome {
  appid: string;
  exitCode: ExitCode;
  /** Null when the export threw (a bug): `crash` holds the error. */
  result: ExportResult | null;
  /** HTTP requests to userlog_search, retries and aborted ones included: its `request` events. */
  searchCalls: number;
  /** The app's first error, secrets masked: what `apps.last_error` and the summary show. */
  error: string | null;
  crash?: Error;
  startedAt: number;
  finishedAt: number;
}

/** The exit code (docs/exit-codes.md) of one app's finished export. */
export function exitCodeFor(result: ExportResult): ExitCode {
  if (result.fatal) return ExitCode.Fatal;
  if (result.windowsIncomplete > 0 || result.quotaExhausted || result.aborted || result.leaseLost)
    return ExitCode.Incomplete;
  return ExitCode.Ok;
}

/** How one app reaches WeChat: its credentials and token mode, the process's API base and connections. */
export function appClientOptions(
  app: AppConfig,
  ctx: Pick<AppExportContext, 'apiBase' | 'tokenEnv'>,
): Pick<
  WechatClientOptions,
  'apiBase' | 'appid' | 'secret' | 'tokenMode' | 'accessToken' | 'tokenUrl' | 'tokenCommand' | 'tokenEnv'
> {
  return {
    apiBase: ctx.apiBase,
    appid: app.appid,
    tokenMode: app.tokenMode,
    secret: app.secret,
    accessToken: app.accessToken,
    ...(app.tokenUrl === undefined ? {} : { tokenUrl: app.tokenUrl }),
    ...(app.tokenCommand === undefined ? {} : { tokenCommand: app.tokenCommand }),
    ...(ctx.tokenEnv === undefined ? {} : { tokenEnv: ctx.tokenEnv }),
  };
}

/**
 * One app's export in a pass: its `runs` row and `apps` row, its own rate budget (shared with every process
 * on the database), its own client and token, its ledger. A failure of this app is recorded and returned,
 * never thrown: the other apps of the pass go on.
 */
export async function exportApp(app: AppConfig, ctx: AppExportContext, lease: AppLease = {}): Promise<AppOutcome> {
  const { now } = ctx;
  const store = lease.fence ? ctx.store.fencedBy(app.appid, lease.fence) : ctx.store;
  const signal = lease.signal ?? ctx.signal;
  const started = now();
  const startedAt = Math.floor(started / 1000);
  const logger = ctx.logger.child({ appid: app.appid });
  // The app's own stream, passed on to the pass's: its `runs` row counts its client's requests from it.
  const events = new ExportEvents();
  const passOn = ctx.events;
  if (passOn) events.on((e) => passOn.emit(e), { dayFigures: () => passOn.wantsDayFigures });
  const requests = { search: 0, rateLimited: 0 };
  events.on((e) => {
    if (e.type !== 'request') return;
    if (e.api === 'search') requests.search += 1;
    if (e.result === 'rate') requests.rateLimited += 1;
  });
  await store.apps.seen(app.appid, startedAt);
  const runId = await store.runs.start(ctx.command, app.appid, ctx.pid, startedAt, ctx.worker);
  events.emit({
    type: 'app-started',
    appid: app.appid,
    days: app.lookbackDays,
    at: started,
    budget: { calls: app.callsPerMinute, intervalMs: ctx.rateIntervalMs },
  });

  let client: WechatClient | undefined;
  let result: ExportResult | null = null;
  let crash: Error | undefined;
  try {
    const budget = new RateBudget({
      requests: store.requests,
      appid: app.appid,
      limit: app.callsPerMinute,
      intervalMs: ctx.rateIntervalMs,
      now: ctx.budgetNow ?? now,
      // Its waits: budget-waiting/budget-wait events, and a log line for each long one (docs/operations.md).
      events,
      logger,
    });
    client = new WechatClient({
      ...appClientOptions(app, ctx),
      searchGate: budget,
      logger,
      ...(ctx.httpPool ? { httpPool: ctx.httpPool } : {}),
      ...ctx.client,
      events,
    });
    const api: ExportApi = ctx.follow ? ctx.follow(app.appid, client) : client;
    result = await runExport({
      appid: app.appid,
      filters: app.filters,
      filterKey: filterKey(app.filters),
      lookbackDays: app.lookbackDays,
      pageSize: app.pageSize,
      api,
      store,
      logger,
      now,
      ...(signal ? { signal } : {}),
      events,
      onDayDone: (day) => {
        events.emit({ type: 'day-done', appid: app.appid, ...day });
        ctx.onDayDone?.(app.appid, day);
      },
    });
  } catch (e: unknown) {
    // A bug (or a client that cannot be built from settings that passed validation): this app's row says
    // so, the pass goes on, and the process reports it with exit 5 at the end.
    crash = coerceError(e);
    logger.error('the export of this app failed unexpectedly', { error: crash.message });
  } finally {
    await client?.close();
  }

  const finished = now();
  // Every request the client sent has ended by now (each ends in one `request` event, aborted ones too):
  // what WeChat received, as `wxlog_search_requests_total` counts it.
  const searchCalls = requests.search;
  const exitCode = result ? exitCodeFor(result) : ExitCode.Internal;
  const error = result
    ? (result.fatal?.message ?? result.errors[0] ?? null)
    : `internal error: ${crash?.message ?? 'the export failed unexpectedly'}`;
  await store.runs.finishRun(runId, Math.floor(finished / 1000), {
    exitCode,
    searchCalls,
    entriesNew: result?.entriesNew ?? 0,
    entriesSeen: result?.entriesSeen ?? 0,
    windowsComplete: result?.windowsComplete ?? null,
    windowsIncomplete: result?.windowsIncomplete ?? null,
    rateLimited: requests.rateLimited,
    unexpectedShape: result?.unexpectedShape ?? 0,
    errors: result?.errors.length ?? 1,
    message: error,
  });
  await store.apps.finished(app.appid, startedAt, exitCode, error);
  events.emit({
    type: 'app-done',
    appid: app.appid,
    exitCode,
    complete: exitCode === ExitCode.Ok,
    windowsIncomplete: result?.windowsIncomplete ?? 0,
    entriesNew: result?.entriesNew ?? 0,
    searchCalls,
    startedAt: started,
    finishedAt: finished,
    error,
  });
  return {
    appid: app.appid,
    exitCode,
    result,
    searchCalls,
    error,
    ...(crash ? { crash } : {}),
    startedAt: started,
    finishedAt: finished,
  };
}
