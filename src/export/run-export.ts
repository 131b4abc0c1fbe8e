import PQueue from 'p-queue';
import type { Logger } from '../log/logger.js';
import type { ExportEvents } from '../events/export-events.js';
import { LeaseLostError, type AsyncStore, type WindowRow } from '../store/async-store.js';
import { addCstDays, cstDayBounds, cstDayOf, recentCstDays } from '../wechat/cst-day.js';
import { coerceError } from '../errors/coerce-error.js';
import { WechatError } from '../wechat/errors.js';
import type { Scene, SearchFilters } from '../wechat/types.js';
import { EndtimeKnowledge } from './endtime-rule.js';
import { PageSize } from './page-size.js';
import { RetentionBoundary } from './retention.js';
import { DayUnavailableError, WindowSync, type SearchApi, type SyncCounters } from './window-sync.js';

/** The most CST days a run covers (WXLOG_LOOKBACK_DAYS): WeChat's longest retention, by plan, is 30. */
// Not the simulator's RETENTION_DAYS (src/simulator/log-store.ts): that is how long the fake server keeps
// entries by default, a fact of the server played, not a bound of what wxlog asks for.
export const MAX_LOOKBACK_DAYS = 30;

export interface ExportApi extends SearchApi {
  getSceneList(signal?: AbortSignal): Promise<Scene[]>;
}

/** Days of one app read at the same time by default: each has a search call in flight. */
export const DAYS_AT_ONCE = 2;

export interface ExportOptions {
  appid: string;
  filters: SearchFilters;
  /** The ledger key of `filters` ('' for none). */
  filterKey: string;
  lookbackDays: number;
  pageSize: number;
  api: ExportApi;
  /**
   * On PostgreSQL, the store fenced by the app's lease (AsyncStore.fencedBy): every write of the app's data
   * then throws LeaseLostError once another worker took the app, and the run stops (`leaseLost`).
   */
  store: AsyncStore;
  logger: Logger;
  /** Unix milliseconds; decides today's CST day. */
  now?: () => number;
  /** Aborting finishes the page in hand and returns what was done. */
  signal?: AbortSignal;
  /** Days read at the same time (their requests still share one budget); default {@link DAYS_AT_ONCE}. */
  concurrency?: number;
  /** Refresh the scene list too (one call). */
  scenes?: boolean;
  /** Called after each day is reconciled (progress display). */
  onDayDone?: (day: DayOutcome) => void;
  /** Where `page-stored` and `window-settled` go (docs/operations.md). */
  events?: ExportEvents | undefined;
}

/**
 * What a run did to one CST day. Not store/coverage-report.ts's DayCoverage (what the ledger knows of a
 * day, for `wxlog status`): a day this run could not check counts here as incomplete whatever its windows
 * say, and the error that stopped it is kept.
 */
export interface DayOutcome {
  date: string;
  windowsComplete: number;
  windowsIncomplete: number;
  /** Entries stored for the day (this ledger). */
  stored: number;
  /** What the server last reported for the whole day, if known. */
  serverTotal: number | null;
  /** Why this run could not finish the day (its windows keep the status an earlier run gave them). */
  error: string | null;
  /** The server will not serve the day (out of its retention): neither complete nor incomplete. */
  unavailable: boolean;
}

/** What a run did: the CLI turns it into an exit code and a summary line. */
export interface ExportResult {
  days: DayOutcome[];
  windowsComplete: number;
  windowsIncomplete: number;
  entriesNew: number;
  entriesSeen: number;
  /** Entries read that did not have the documented shape (stored all the same). */
  unexpectedShape: number;
  /** Days the server would not serve. */
  daysUnavailable: number;
  scenes: number | null;
  /** One line per error that left something incomplete. */
  errors: string[];
  /** A credential or permission error: nothing more can be done until a person fixes it. */
  fatal: WechatError | null;
  /** WeChat's daily quota (45009) is used up: calls stopped for this run. */
  quotaExhausted: boolean;
  /** Stopped by the caller's signal. */
  aborted: boolean;
  /**
   * Stopped because another worker took the app's lease over (PostgreSQL): nothing more was written, the
   * other worker continues the app.
   */
  leaseLost: boolean;
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
    unexpectedShape: 0,
    daysUnavailable: 0,
    scenes: null,
    errors: [],
    fatal: null,
    quotaExhausted: false,
    aborted: false,
    leaseLost: false,
  };
  const counters: SyncCounters = { entriesNew: 0, entriesSeen: 0, unexpectedShape: 0, windowsRead: 0, splits: 0 };

  const dayErrors = new Map<string, string>();
  /** Each day's outcome as reported when the run was done with it, and the error it was reported with. */
  const reported = new Map<string, { error: string | undefined; outcome: DayOutcome }>();
  /** Sorts an error into the result; a fatal or quota error stops the whole run. */
  const absorb = (e: unknown, where: string): string | undefined => {
    if (e instanceof LeaseLostError || signal.reason instanceof LeaseLostError) {
      // Another worker exports the app now: stop at once, once, and say so.
      if (result.leaseLost) return;
      result.leaseLost = true;
      const lost = e instanceof LeaseLostError ? e : (signal.reason as LeaseLostError);
      runAbort.abort(lost);
      result.errors.push(lost.message);
      logger.warn('the lease on this app was lost; another worker exports it now', { error: lost.message });
      return lost.message;
    }
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
    logger.warn(`${where} failed`, {
      error: error.message,
      kind: error instanceof WechatError ? error.kind : undefined,
    });
    return error.message;
  };
  /**
   * A write of the run outside any day's reconciliation (which absorbs its own errors): a lost lease stops
   * the run as a refused page does, any other error is thrown as before. Once the lease is known lost,
   * nothing more is tried. Undefined when the write did not happen.
   */
  const leased = async <T>(write: () => Promise<T>): Promise<T | undefined> => {
    if (result.leaseLost) return undefined;
    try {
      return await write();
    } catch (e: unknown) {
      if (!(e instanceof LeaseLostError)) throw e;
      absorb(e, 'lease');
      return undefined;
    }
  };

  const today = cstDayOf(seconds());
  const lookback = Math.min(options.lookbackDays, MAX_LOOKBACK_DAYS);
  const days = recentCstDays(seconds(), lookback);
  const expired = await leased(() => store.windows.expireBefore(appid, addCstDays(today, -(lookback - 1)), seconds()));
  if (expired) logger.info('days left the lookback; their entries are kept', { windows: expired });
  const retention = await RetentionBoundary.load(store.state, appid, now);

  try {
    if (options.scenes !== false) {
      try {
        const scenes = await options.api.getSceneList(signal);
        await store.replaceScenes(appid, scenes, seconds());
        result.scenes = scenes.length;
      } catch (e: unknown) {
        absorb(e, 'scene list');
      }
    }

    const pageSize = await PageSize.load(store.state, appid, options.pageSize, now);
    const endtime = await EndtimeKnowledge.load(store.state, appid, now);
    const sync = new WindowSync({
      appid,
      filterKey,
      filters: options.filters,
      api: options.api,
      store,
      pageSize,
      endtime,
      now,
      logger,
      signal,
      counters,
      events: options.events,
    });
    const servedNow = new Set<string>();
    const refusedNow = new Set<string>();
    /** Reports a day as it is now, once this run is done with it (the run's own result reuses the report). */
    const dayDone = async (date: string, error?: string): Promise<void> => {
      const outcome = await coverage(store, appid, filterKey, date, error);
      reported.set(date, { error, outcome });
      options.onDayDone?.(outcome);
    };
    /** Reconciles one day; false when the server would not serve it. */
    const readDay = async (date: string): Promise<boolean> => {
      if (signal.aborted) return true;
      const { begin, end } = cstDayBounds(date);
      let served = true;
      try {
        await sync.reconcile(await store.windows.dayRoot(appid, filterKey, date, begin, end));
        await retention.served(date);
        servedNow.add(date);
      } catch (e: unknown) {
        if (e instanceof DayUnavailableError && date === today) {
          // Today is always inside retention: a refusal of it is the server's passing fault, not a boundary.
          const message = absorb(
            new Error(`${e.message}; today is always served, so the next run tries again`),
            `day ${date}`,
          );
          if (message !== undefined) dayErrors.set(date, message);
        } else if (e instanceof DayUnavailableError) {
          refusedNow.add(date);
          served = false;
          try {
            await store.windows.markUnavailable(appid, filterKey, date, seconds(), e.message);
            await retention.refused(date, today);
            logger.info('the server does not serve this day (out of its retention); recorded as unavailable', {
              date,
            });
          } catch (write: unknown) {
            // Never out of readDay: the days after the first run in a queue, where a throw would be unhandled.
            const message = absorb(write, `day ${date}`);
            if (message !== undefined) dayErrors.set(date, message);
          }
        } else {
          const message = absorb(e, `day ${date}`);
          if (message !== undefined) dayErrors.set(date, message);
        }
      }
      await dayDone(date, dayErrors.get(date));
      return served;
    };
    const plan = retention.plan(days, today);
    let toRead = plan.read;
    // The newest refused day first, once a CST day: if it is served now, so may the older ones be.
    if (plan.probe !== undefined && (await readDay(plan.probe))) toRead = [...plan.skip, ...plan.read];
    else {
      for (const date of plan.skip) {
        await leased(() =>
          store.windows.markUnavailable(appid, filterKey, date, seconds(), 'the server refused a newer day'),
        );
        await dayDone(date);
      }
    }
    // The newest day alone first: it is the one most surely served, and what it teaches (the page-size
    // ceiling, the endtime rule) spares the other days the same lessons; then the oldest first, since
    // they leave the server's retention first.
    const newest = toRead.at(-1);
    if (newest !== undefined) await readDay(newest);
    const queue = new PQueue({ concurrency: options.concurrency ?? DAYS_AT_ONCE });
    // Every day is waited for, then the first failure thrown (as the newest day's would be): one that failed
    // outside its reconciliation (its coverage read) is neither unhandled nor left running behind the run.
    const reads = await Promise.allSettled(toRead.slice(0, -1).map((date) => queue.add(() => readDay(date))));
    const failed = reads.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    // Retention only cuts off the oldest days: a day refused while an older one was served was a passing
    // refusal, not the boundary (serving the older day has already forgotten the boundary).
    const oldestServed = [...servedNow].sort()[0];
    if (oldestServed !== undefined) await leased(() => retention.served(oldestServed));
    for (const date of refusedNow) {
      if (oldestServed !== undefined && date > oldestServed) {
        dayErrors.set(date, `refused although the older ${oldestServed} was served; the next run tries again`);
        result.errors.push(`day ${date}: refused although an older day was served`);
      }
    }
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
  }

  if (outer?.reason instanceof LeaseLostError && !result.leaseLost) absorb(outer.reason, 'lease');
  result.aborted = (outer?.aborted ?? false) && !result.leaseLost;
  result.entriesNew = counters.entriesNew;
  result.entriesSeen = counters.entriesSeen;
  result.unexpectedShape = counters.unexpectedShape;
  if (counters.unexpectedShape > 0) {
    logger.warn('entries of an undocumented shape were stored as served', { entries: counters.unexpectedShape });
  }
  for (const d of days) {
    // A day's windows are written only while the run reads it: what was reported then still holds (two reads
    // fewer a day), unless an error was found for the day since.
    const error = dayErrors.get(d);
    const known = reported.get(d);
    result.days.push(
      known !== undefined && known.error === error ? known.outcome : await coverage(store, appid, filterKey, d, error),
    );
  }
  for (const d of result.days) {
    result.windowsComplete += d.windowsComplete;
    result.windowsIncomplete += d.windowsIncomplete;
    if (d.unavailable) result.daysUnavailable += 1;
  }
  return result;
}

/**
 * Leaf windows of a day by status, with the stored count and the server's last total for the day. A day
 * this run failed to reconcile (`error`) counts at least one incomplete window, whatever its windows say:
 * it was not checked, so nothing says it is complete now.
 */
export async function coverage(
  store: AsyncStore,
  appid: string,
  filterKey: string,
  date: string,
  error?: string,
): Promise<DayOutcome> {
  const rows = await store.windows.windowsForDays(appid, filterKey, date, date);
  const leaves = rows.filter((w) => w.status !== 'split');
  const root: WindowRow | undefined = rows.find((w) => w.parentId === null);
  const { begin, end } = cstDayBounds(date);
  const unavailable = error === undefined && leaves.some((w) => w.status === 'unavailable');
  return {
    date,
    windowsComplete: leaves.filter((w) => w.status === 'complete').length,
    // A day never looked at, or not checked by this run, counts as one incomplete window at least; a day the
    // server will not serve is not incomplete: nothing more can be read of it.
    windowsIncomplete: unavailable
      ? 0
      : Math.max(
          leaves.length === 0 || error !== undefined ? 1 : 0,
          leaves.filter((w) => w.status !== 'complete').length,
        ),
    stored: await store.windows.countStored(appid, filterKey, begin, end),
    serverTotal: root?.serverTotal ?? null,
    error: error ?? null,
    unavailable,
  };
}
