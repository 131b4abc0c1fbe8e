import { hostname } from 'node:os';
import type { Config } from '../config/config-schema.js';
import { clientOptions } from './client-options.js';
import { filterKey } from '../config/filter-key.js';
import { ExportEvents } from '../events/export-events.js';
import { RateBudget } from '../export/rate-budget.js';
import { coverage, MAX_LOOKBACK_DAYS, runExport, type DayOutcome, type ExportResult } from '../export/run-export.js';
import type { Logger } from '../log/logger.js';
import type { LockHolder } from '../store/run-lock.js';
import { lockHeldMessage, processLock } from './process-lock.js';
import { Store } from '../store/store.js';
import { WechatClient, type WechatClientOptions } from '../wechat/wechat-client.js';
import { ExitCode } from './exit-codes.js';
import { ExportProgress, type ProgressLine } from './progress.js';

export interface PassOptions {
  config: Config;
  logger: Logger;
  /** `run`, `daemon` or `demo`: recorded in `runs` and in the lock. */
  command: string;
  signal?: AbortSignal;
  now?: () => number;
  /** Client settings for tests and the demo (timeouts, retry delays). */
  client?: Partial<WechatClientOptions>;
  onDayDone?: (day: DayOutcome) => void;
  /** A terminal line to show the pass's progress on (give it only when stderr is a TTY). */
  progress?: ProgressLine;
  /**
   * The process's event stream (docs/operations.md): the pass emits its events there (metrics, the
   * daemon's activity line). One stream per process, given to every pass.
   */
  events?: ExportEvents;
}

export interface PassOutcome {
  exitCode: ExitCode;
  /** The one summary line of the run. */
  summary: string;
  result: ExportResult | null;
  /** HTTP requests to userlog_search, retries included. */
  searchCalls: number;
  /** Set when another process holds the database's lock. */
  holder?: LockHolder;
}

/** The exit code (docs/exit-codes.md) of a finished export. */
export function exitCodeFor(result: ExportResult): ExitCode {
  if (result.fatal) return ExitCode.Fatal;
  if (result.windowsIncomplete > 0 || result.quotaExhausted || result.aborted) return ExitCode.Incomplete;
  return ExitCode.Ok;
}

export function summarize(result: ExportResult, searchCalls: number, elapsedMs: number): string {
  const windows = result.windowsComplete + result.windowsIncomplete;
  const state = result.fatal
    ? `stopped: ${result.fatal.message}`
    : result.quotaExhausted
      ? 'stopped: WeChat daily quota reached; the next run continues'
      : result.aborted
        ? 'interrupted; the next run continues'
        : result.windowsIncomplete > 0
          ? 'incomplete; the next run continues'
          : 'complete';
  const unavailable = result.daysUnavailable > 0 ? ` (${result.daysUnavailable} not served by WeChat)` : '';
  const shape = result.unexpectedShape > 0 ? `, ${result.unexpectedShape} of an undocumented shape` : '';
  return (
    `${state}: ${result.days.length} days${unavailable}, ${result.windowsComplete}/${windows} windows complete, ` +
    `${result.entriesNew} new entries (${result.entriesSeen} read${shape}), ${searchCalls} search calls, ` +
    `${result.errors.length} errors, ${(elapsedMs / 1000).toFixed(1)}s`
  );
}

/**
 * One export pass as a command runs it: take the database's lock (or report who holds it), record the
 * run, export through the shared rate budget, record the outcome, let go.
 */
export async function exportPass(o: PassOptions): Promise<PassOutcome> {
  const now = o.now ?? Date.now;
  const started = now();
  const { config, logger } = o;
  const store = Store.open(config.db);
  try {
    const lock = processLock(store.db, o.command, now);
    const attempt = lock.tryAcquire();
    if (!attempt.acquired) {
      const h = attempt.holder;
      return {
        exitCode: ExitCode.Locked,
        summary: lockHeldMessage(h, `has been exporting into ${config.db}`),
        result: null,
        searchCalls: 0,
        holder: h,
      };
    }
    const heartbeat = setInterval(() => lock.heartbeat(), 15_000);
    heartbeat.unref();
    const startedAt = Math.floor(started / 1000);
    const runId = store.runs.start(o.command, config.appid, process.pid, startedAt, `${hostname()}:${process.pid}`);
    store.apps.seen(config.appid, startedAt);
    // The progress line follows the events too, so a pass without the process's stream gets its own.
    const events = o.events ?? (o.progress ? new ExportEvents() : undefined);
    const { appid } = config;
    const lookback = Math.min(config.lookbackDays, MAX_LOOKBACK_DAYS);
    const progress =
      o.progress &&
      new ExportProgress({
        line: o.progress,
        label: `wxlog ${o.command}`,
        pageSize: config.pageSize,
        budget: { calls: config.callsPerMinute, intervalMs: config.rateIntervalMs },
        now,
      });
    const unfollow = progress && events?.on(progress.listener);
    events?.emit({ type: 'pass-started', apps: 1, at: started });
    events?.emit({
      type: 'app-started',
      appid,
      days: lookback,
      at: started,
      budget: { calls: config.callsPerMinute, intervalMs: config.rateIntervalMs },
    });
    const budget = new RateBudget({
      requests: store.requests,
      appid,
      limit: config.callsPerMinute,
      intervalMs: config.rateIntervalMs,
      now,
      events,
      logger,
    });
    const client = new WechatClient({
      ...clientOptions(config),
      searchGate: budget,
      logger,
      events,
      ...o.client,
    });
    const filters = filterKey(config.filters);
    // Until the export emits page-stored itself (the many-apps pass), the pass watches the store: a page
    // is saved for the day last searched.
    let searching = '';
    const savePage = store.savePage.bind(store);
    if (events) {
      store.savePage = (...args) => {
        const saved = savePage(...args);
        const day = coverage(store, appid, filters, searching);
        events.emit({
          type: 'page-stored',
          appid,
          date: searching,
          entriesSeen: saved.seen,
          entriesNew: saved.inserted,
          dayStored: day.stored,
          dayServerTotal: day.serverTotal,
        });
        return saved;
      };
    }
    const api = {
      searchLogs: (params: Parameters<WechatClient['searchLogs']>[0], signal?: AbortSignal) => {
        searching = params.date;
        return client.searchLogs(params, signal);
      },
      getSceneList: (signal?: AbortSignal) => client.getSceneList(signal),
    };
    let result: ExportResult | null = null;
    try {
      result = await runExport({
        appid: config.appid,
        filters: config.filters,
        filterKey: filters,
        lookbackDays: config.lookbackDays,
        pageSize: config.pageSize,
        api,
        store,
        logger,
        now,
        ...(o.signal ? { signal: o.signal } : {}),
        onDayDone: (day) => {
          events?.emit({ type: 'day-done', appid, ...day });
          o.onDayDone?.(day);
        },
      });
    } finally {
      progress?.finish();
      unfollow?.();
      clearInterval(heartbeat);
      await client.close();
      const searchCalls = client.stats.searchRequests;
      // The export threw: a bug, which main reports with exit 5; the run's row says so too.
      const exitCode = result ? exitCodeFor(result) : ExitCode.Internal;
      store.runs.finishRun(runId, Math.floor(now() / 1000), {
        exitCode,
        searchCalls,
        entriesNew: result?.entriesNew ?? 0,
        entriesSeen: result?.entriesSeen ?? 0,
        windowsComplete: result?.windowsComplete ?? null,
        windowsIncomplete: result?.windowsIncomplete ?? null,
        rateLimited: client.stats.rateLimited,
        unexpectedShape: result?.unexpectedShape ?? 0,
        errors: result?.errors.length ?? 1,
        message: result ? (result.fatal?.message ?? result.errors[0] ?? null) : 'the export failed unexpectedly',
      });
      const message = result ? (result.fatal?.message ?? result.errors[0] ?? null) : 'the export failed unexpectedly';
      store.apps.finished(config.appid, startedAt, exitCode, message);
      lock.release();
      const finishedAt = now();
      events?.emit({
        type: 'app-done',
        appid,
        exitCode,
        complete: exitCode === ExitCode.Ok,
        windowsIncomplete: result?.windowsIncomplete ?? 0,
        entriesNew: result?.entriesNew ?? 0,
        searchCalls,
        startedAt: started,
        finishedAt,
        error: message,
      });
      events?.emit({
        type: 'pass-done',
        exitCode,
        apps: 1,
        appsFailed: exitCode >= ExitCode.Usage ? 1 : 0,
        startedAt: started,
        finishedAt,
      });
    }
    const searchCalls = client.stats.searchRequests;
    return {
      exitCode: exitCodeFor(result),
      summary: summarize(result, searchCalls, now() - started),
      result,
      searchCalls,
    };
  } finally {
    store.close();
  }
}
