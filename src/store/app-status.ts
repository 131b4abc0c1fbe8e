import type { Database } from 'better-sqlite3';
import type { CstDay } from '../wechat/cst-day.js';
import { CoverageReport, type DayCoverage, type DayState } from './coverage-report.js';
import { latestRunPerApp, type RunRow } from './run-history.js';
import { runState, type LockView, type RunState } from './run-state.js';

/**
 * One app's state in `wxlog status`, in the order it lists them (trouble first): `failing` (its latest
 * pass ended 2, 3 or 5: a person must act), `interrupted` (its latest pass never finished and holds no
 * lock), `incomplete` (its latest pass ended 1, or a day of the lookback is not complete: the next run
 * continues), `running`, `never-run` (entries or windows but no pass recorded), `ok` (its latest pass ended
 * 0 and every day of the lookback is complete or not served by WeChat).
 */
export const APP_STATES = ['failing', 'interrupted', 'incomplete', 'running', 'never-run', 'ok'] as const;
export type AppState = (typeof APP_STATES)[number];

// Days that leave nothing to do: WeChat will not serve them, or they have left the lookback.
const SETTLED_DAYS: readonly DayState[] = ['complete', 'unavailable', 'expired'];

/** An app's state from its latest run's state (null: none) and its days of the lookback. */
export function appState(latestRun: RunState | null, days: readonly DayState[]): AppState {
  switch (latestRun) {
    case null:
      return 'never-run';
    case 'running':
    case 'interrupted':
      return latestRun;
    case 'failed':
      return 'failing';
    case 'incomplete':
      return 'incomplete';
    case 'ok':
      return days.every((d) => SETTLED_DAYS.includes(d)) ? 'ok' : 'incomplete';
  }
}

/** What `wxlog status` prints for one app of a database of many. */
export interface AppStatus {
  appid: string;
  state: AppState;
  /** Days of the lookback that are complete. */
  daysComplete: number;
  /** Entries stored over the lookback. */
  entriesStored: number;
  /** The app's latest run and its state, null before its first. */
  lastRun: (RunRow & { state: RunState }) | null;
  /** The message of its latest finished pass when that did not end 0, else null. */
  lastError: string | null;
  /** Its days of the lookback, in the order asked. */
  days: DayCoverage[];
}

/** The database's run lock, or undefined when no process holds it. */

/** What {@link appStatuses} reports on. */
export interface AppStatusScope {
  appids: readonly string[];
  /** The ledger's filter key (`''` for an unfiltered export). */
  filterKey: string;
  /** CST days of the lookback, in the order each app's `days` should list them. */
  days: readonly CstDay[];
  lock: LockView;
  nowSeconds: number;
}

/** One app's line of `wxlog status` from its days, its latest run (with its state) and its latest finished run. */
export function appStatusOf(
  appid: string,
  days: AppStatus['days'],
  lastRun: AppStatus['lastRun'],
  lastFinished: { exitCode: number | null; message: string | null } | null | undefined,
): AppStatus {
  return {
    appid,
    state: appState(
      lastRun?.state ?? null,
      days.map((d) => d.state),
    ),
    daysComplete: days.filter((d) => d.state === 'complete').length,
    entriesStored: days.reduce((sum, d) => sum + d.entriesStored, 0),
    lastRun,
    lastError: lastFinished && lastFinished.exitCode !== 0 ? lastFinished.message : null,
    days,
  };
}

/**
 * The state of each app, trouble first (in {@link APP_STATES} order), then the most recent run first, then
 * by AppID. A handful of statements whatever the number of apps (the ledger, the counts of days not
 * complete, the latest runs), each going through an index per app.
 */
export function appStatuses(db: Database, scope: AppStatusScope): AppStatus[] {
  const coverage = new CoverageReport(db).appDays(scope.filterKey, scope.appids, scope.days);
  const runs = new Map(latestRunPerApp(db, scope.appids).map((r) => [r.appid, r]));
  const statuses = scope.appids.map((appid) => {
    const run = runs.get(appid);
    const latest = run ? { ...run.latest, state: runState(run.latest, scope.lock, scope.nowSeconds) } : null;
    return appStatusOf(appid, coverage.get(appid) ?? [], latest, run?.lastFinished);
  });
  return statuses.sort(troubleFirst);
}

/** Trouble first (in {@link APP_STATES} order), then the most recent run first, then by AppID. */
export function troubleFirst(a: AppStatus, b: AppStatus): number {
  return (
    APP_STATES.indexOf(a.state) - APP_STATES.indexOf(b.state) ||
    (b.lastRun?.startedAt ?? -Infinity) - (a.lastRun?.startedAt ?? -Infinity) ||
    (a.appid < b.appid ? -1 : a.appid > b.appid ? 1 : 0)
  );
}
