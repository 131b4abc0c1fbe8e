import PQueue from 'p-queue';
import type { Logger } from '../log/logger.js';
import { replaceScenes } from '../store/scene-store.js';
import type { Store } from '../store/store.js';
import type { WindowRow } from '../store/window-ledger.js';
import { addCstDays, cstDayBounds, cstDayOf, recentCstDays } from '../wechat/cst-day.js';
import { coerceError, WechatError } from '../wechat/errors.js';
import type { Scene, SearchFilters } from '../wechat/types.js';
import { PageSize } from './page-size.js';
import { WindowSync, type SearchApi, type SyncCounters } from './window-sync.js';

/** WeChat serves today and the six CST days before it. */
export const RETENTION_DAYS = 7;

export interface ExportApi extends SearchApi {
  getSceneList(signal?: AbortSignal): Promise<Scene[]>;
}

export interface ExportOptions {
  appid: string;
  filters: SearchFilters;
  /** The ledger key of `filters` ('' for none). */
  filterKey: string;
  lookbackDays: number;
  pageSize: number;
  api: ExportApi;
  store: Store;
  logger: Logger;
  /** Unix milliseconds; decides today's CST day. */
  now?: () => number;
  /** Aborting finishes the page in hand and returns what was done. */
  signal?: AbortSignal;
  /** Days read at the same time (their requests still share one budget). */
  concurrency?: number;
  /** Refresh the scene list too (one call). */
  scenes?: boolean;
  /** Called after each day is reconciled (progress display). */
  onDayDone?: (day: DayCoverage) => void;
}

/** Coverage of one CST day after a run. */
export interface DayCoverage {
  date: string;
  windowsComplete: number;
  windowsIncomplete: number;
  /** Entries stored for the day (this ledger). */
  stored: number;
  /** What the server last reported for the whole day, if known. */
  serverTotal: number | null;
  /** Why this run could not finish the day (its windows keep the status an earlier run gave them). */
  error: string | null;
}

/** What a run did: the CLI turns it into an exit code and a summary line. */
export interface ExportResult {
  days: DayCoverage[];
  windowsComplete: number;
  windowsIncomplete: number;
  entriesNew: number;
  entriesSeen: number;
  scenes: number | null;
  /** One line per error that left something incomplete. */
  errors: string[];
  /** A credential or permission error: nothing more can be done until a person fixes it. */
  fatal: WechatError | null;
  /** WeChat's daily quota (45009) is used up: calls stopped for this run. */
  quotaExhausted: boolean;
  /** Stopped by the caller's signal. */
  aborted: boolean;
}

/**
 * One export pass over the lookback days, oldest first (the oldest day leaves WeChat's retention first).
 * Each day is reconciled window by window; every request passes through the client's rate gate.
 */
export async function runExport(options: ExportOptions): Promise<ExportResult> {
  const now = options.now ?? Date.now;
  const { store, logger, appid, filterKey } = options;
  const seconds = (): number => Math.floor(now() / 1000);
  const runAbort = new AbortController();
  const outer = options.signal;
  const onOuterAbort = (): void => runAbort.abort(outer?.reason);
  if (outer?.aborted) onOuterAbort();
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  const signal = runAbort.signal;

  const result: ExportResult = {
    days: [],
    windowsComplete: 0,
    windowsIncomplete: 0,
    entriesNew: 0,
    entriesSeen: 0,
    scenes: null,
    errors: [],
    fatal: null,
    quotaExhausted: false,
    aborted: false,
  };
  const counters: SyncCounters = { entriesNew: 0, entriesSeen: 0, windowsRead: 0, splits: 0 };

  const dayErrors = new Map<string, string>();
  /** Sorts an error into the result; a fatal or quota error stops the whole run. */
  const absorb = (e: unknown, where: string): string | undefined => {
    if (signal.aborted && !(e instanceof WechatError)) return;
    const error = coerceError(e);
    if (error instanceof WechatError && (error.kind === 'fatal' || error.kind === 'token')) {
      result.fatal ??= error;
      runAbort.abort(error);
    } else if (error instanceof WechatError && error.kind === 'quota') {
      result.quotaExhausted = true;
      runAbort.abort(error);
    }
    result.errors.push(`${where}: ${error.message}`);
    logger.warn(`${where} failed`, { error: error.message, kind: error instanceof WechatError ? error.kind : undefined });
    return error.message;
  };

  const today = cstDayOf(seconds());
  const days = recentCstDays(seconds(), Math.min(options.lookbackDays, RETENTION_DAYS));
  const expired = store.windows.expireBefore(appid, addCstDays(today, -(RETENTION_DAYS - 1)), seconds());
  if (expired > 0) logger.info('days left WeChat retention; their entries are kept', { windows: expired });

  try {
    if (options.scenes !== false) {
      try {
        const scenes = await options.api.getSceneList(signal);
        replaceScenes(store.db, appid, scenes, seconds());
        result.scenes = scenes.length;
      } catch (e: unknown) {
        absorb(e, 'scene list');
      }
    }

    const pageSize = new PageSize(store.state, appid, options.pageSize, now);
    const sync = new WindowSync({ appid, filterKey, filters: options.filters, api: options.api, store, pageSize, now, logger, signal, counters });
    const queue = new PQueue({ concurrency: options.concurrency ?? 2 });
    for (const date of days) {
      void queue.add(async () => {
        if (signal.aborted) return;
        const { begin, end } = cstDayBounds(date);
        try {
          await sync.reconcile(store.windows.dayRoot(appid, filterKey, date, begin, end));
        } catch (e: unknown) {
          const message = absorb(e, `day ${date}`);
          if (message !== undefined) dayErrors.set(date, message);
        }
        options.onDayDone?.(coverage(store, appid, filterKey, date, dayErrors.get(date)));
      });
    }
    await queue.onIdle();
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
  }

  result.aborted = outer?.aborted ?? false;
  result.entriesNew = counters.entriesNew;
  result.entriesSeen = counters.entriesSeen;
  result.days = days.map((d) => coverage(store, appid, filterKey, d, dayErrors.get(d)));
  for (const d of result.days) {
    result.windowsComplete += d.windowsComplete;
    result.windowsIncomplete += d.windowsIncomplete;
  }
  return result;
}

/**
 * Leaf windows of a day by status, with the stored count and the server's last total for the day. A day
 * this run failed to reconcile (`error`) counts at least one incomplete window, whatever its windows say:
 * it was not checked, so nothing says it is complete now.
 */
export function coverage(store: Store, appid: string, filterKey: string, date: string, error?: string): DayCoverage {
  const rows = store.windows.windowsForDays(appid, filterKey, date, date);
  const leaves = rows.filter((w) => w.status !== 'split');
  const root: WindowRow | undefined = rows.find((w) => w.parentId === null);
  const { begin, end } = cstDayBounds(date);
  return {
    date,
    windowsComplete: leaves.filter((w) => w.status === 'complete').length,
    // A day never looked at, or not checked by this run, counts as one incomplete window at least.
    windowsIncomplete: Math.max(leaves.length === 0 || error !== undefined ? 1 : 0, leaves.filter((w) => w.status !== 'complete').length),
    stored: store.windows.countStored(appid, filterKey, begin, end),
    serverTotal: root?.serverTotal ?? null,
    error: error ?? null,
  };
}
