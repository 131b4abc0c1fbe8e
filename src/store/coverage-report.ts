import type { Database, Statement } from 'better-sqlite3';
import { cstDayBounds, type CstDay } from '../wechat/cst-day.js';
import { singleApp } from './single-app.js';
import { StoredCount } from './stored-count.js';

/**
 * How far one CST day is covered: `not-read` (no window yet), `unavailable` (the server will not serve it
 * and it was not read in full), `expired` (read, then left the lookback or the server's retention).
 */
export type DayState = 'complete' | 'incomplete' | 'not-read' | 'expired' | 'unavailable';

/** One CST day of the coverage ledger, with what is stored for it. */
export interface DayCoverage {
  /** YYYYMMDD. */
  date: CstDay;
  state: DayState;
  /** Leaf windows (not split) whose stored entries account for the server's total. */
  windowsComplete: number;
  /** Leaf windows still pending or incomplete. */
  windowsIncomplete: number;
  /** Entries stored with a timestamp in the day (for a filtered ledger: entries that ledger has seen). */
  entriesStored: number;
  /** The total the server last reported for the whole day (its root windows), or null before the first check. */
  serverTotal: number | null;
  /** Unix seconds of the latest check of any of the day's windows. */
  lastCheckedAt: number | null;
}

/** Which ledger a report is about. */
export interface CoverageScope {
  /** `''` covers every appid in the file. */
  appid: string;
  /** The ledger's filter key (`''` for an unfiltered export). */
  filterKey: string;
}

/** A day's windows summed up, as both engines' readers compute them. */
export interface WindowAggregate {
  appid?: string;
  date: string;
  complete: number;
  incomplete: number;
  serverTotal: number | null;
  roots: number;
  rootsChecked: number;
  lastCheckedAt: number | null;
  /** A count in SQLite, a boolean in PostgreSQL: either way, truthy when the day left the lookback. */
  expired: number | boolean;
  unavailable: number;
  storedComplete: number | null;
}

const WINDOW_FIGURES = `
         count(*) FILTER (WHERE status = 'complete') AS complete,
         count(*) FILTER (WHERE status IN ('pending', 'incomplete')) AS incomplete,
         sum(server_total) FILTER (WHERE parent_id IS NULL) AS serverTotal,
         count(*) FILTER (WHERE parent_id IS NULL) AS roots,
         count(server_total) FILTER (WHERE parent_id IS NULL) AS rootsChecked,
         max(checked_at) AS lastCheckedAt,
         max(expired_at IS NOT NULL) AS expired,
         count(*) FILTER (WHERE status = 'unavailable') AS unavailable,
         sum(stored_count) FILTER (WHERE status = 'complete') AS storedComplete`;

const WINDOW_AGGREGATE = `
  SELECT date, ${WINDOW_FIGURES}
  FROM windows
  WHERE filter_key = @filterKey AND date BETWEEN @first AND @last`;

// The same figures for many apps in one statement: CROSS JOIN keeps the app list as the outer loop, so
// each app is one range of windows_day (appid, filter_key, date) rather than a scan of the whole ledger.
const WINDOW_AGGREGATE_PER_APP = `
  SELECT w.appid, w.date, ${WINDOW_FIGURES}
  FROM json_each(@appids) AS a CROSS JOIN windows w ON w.appid = a.value
  WHERE w.filter_key = @filterKey AND w.date BETWEEN @first AND @last
  GROUP BY w.appid, w.date`;

// Entries stored in each range of a JSON array of [appid, begin, end], one seek of log_entries_identity
// (appid, timestamp, fingerprint) each; for a filtered ledger, of ledger_entries_time.
const STORED_PER_RANGE = `
  SELECT r.key AS i, (SELECT count(*) FROM log_entries
          WHERE appid = r.value ->> 0 AND timestamp BETWEEN r.value ->> 1 AND r.value ->> 2) AS n
  FROM json_each(@ranges) AS r`;
const LEDGER_STORED_PER_RANGE = `
  SELECT r.key AS i, (SELECT count(*) FROM ledger_entries l JOIN log_entries e ON e.id = l.entry_id
          WHERE l.filter_key = @filterKey AND l.timestamp BETWEEN r.value ->> 1 AND r.value ->> 2
            AND e.appid = r.value ->> 0) AS n
  FROM json_each(@ranges) AS r`;

/**
 * The figures behind `wxlog status`, read with statements prepared once. A complete day's entries are the
 * ledger's own count, recorded when its windows were last checked against the server (a run that adds
 * entries to a day re-checks it); other days are counted over the index ranges (`log_entries_identity`,
 * `log_entries_timestamp`, `ledger_entries_time`), which cost some milliseconds per 100k entries.
 */
export class CoverageReport {
  private readonly windowsOneApp: Statement;
  private readonly windowsAllApps: Statement;
  private readonly windowsPerApp: Statement;
  private readonly storedPerRange: Statement;
  private readonly ledgerStoredPerRange: Statement;
  private readonly stored: StoredCount;

  constructor(private readonly db: Database) {
    this.windowsOneApp = db.prepare(`${WINDOW_AGGREGATE} AND appid = @appid GROUP BY date`);
    this.windowsAllApps = db.prepare(`${WINDOW_AGGREGATE} GROUP BY date`);
    this.windowsPerApp = db.prepare(WINDOW_AGGREGATE_PER_APP);
    this.storedPerRange = db.prepare(STORED_PER_RANGE);
    this.ledgerStoredPerRange = db.prepare(LEDGER_STORED_PER_RANGE);
    this.stored = new StoredCount(db);
  }

  /** Coverage of `days` (YYYYMMDD), in the order given. */
  days(scope: CoverageScope, days: readonly CstDay[]): DayCoverage[] {
    if (days.length === 0) return [];
    const sorted = [...days].sort();
    const params = { filterKey: scope.filterKey, first: sorted[0], last: sorted.at(-1), appid: scope.appid };
    const rows = (
      scope.appid === '' ? this.windowsAllApps.all(params) : this.windowsOneApp.all(params)
    ) as WindowAggregate[];
    const byDate = new Map(rows.map((r) => [r.date, r]));
    const countScope = this.countingScope(scope);
    return days.map((date) => {
      const w = byDate.get(date);
      const { begin, end } = cstDayBounds(date);
      return dayCoverage(date, w, ledgerCount(w) ?? this.countStored(countScope, begin, end));
    });
  }

  /**
   * Coverage of `days` (YYYYMMDD, in the order given) for each of `appids`, in two statements whatever
   * their number: one aggregates the ledger of every app and day, one counts the entries of the days
   * whose count the ledger does not hold (those not complete).
   */
  appDays(filterKey: string, appids: readonly string[], days: readonly CstDay[]): Map<string, DayCoverage[]> {
    if (days.length === 0 || appids.length === 0) return new Map(appids.map((appid) => [appid, []]));
    const sorted = [...days].sort();
    const rows = this.windowsPerApp.all({
      filterKey,
      first: sorted[0],
      last: sorted.at(-1),
      appids: JSON.stringify(appids),
    }) as WindowAggregate[];
    const byKey = aggregatesByAppDay(rows);
    const ranges = JSON.stringify(uncountedDays(appids, days, byKey));
    const counts: number[] = [];
    const counted = (
      filterKey === '' ? this.storedPerRange.all({ ranges }) : this.ledgerStoredPerRange.all({ ranges, filterKey })
    ) as { i: number; n: number }[];
    for (const { i, n } of counted) counts[i] = n;
    return appDayCoverage(appids, days, byKey, counts);
  }

  /** Entries of the scope stored with a timestamp before `before` (unix seconds). */
  entriesBefore(scope: CoverageScope, before: number): number {
    return this.countStored(this.countingScope(scope), 0, before - 1);
  }

  // A file that holds one app only (the usual case) is counted without the appid condition, over the
  // timestamp indexes, which are about half the size of the (appid, timestamp, fingerprint) one.
  private countingScope(scope: CoverageScope): CoverageScope {
    if (scope.appid === '') return scope;
    return singleApp(this.db) === scope.appid ? { ...scope, appid: '' } : scope;
  }

  private countStored(scope: CoverageScope, begin: number, end: number): number {
    return scope.appid === ''
      ? this.stored.ofAllApps(scope.filterKey, begin, end)
      : this.stored.ofApp(scope.appid, scope.filterKey, begin, end);
  }
}

/** The ledger's aggregates by app and day, as {@link uncountedDays} and {@link appDayCoverage} look them up. */
export function aggregatesByAppDay(rows: readonly WindowAggregate[]): Map<string, WindowAggregate> {
  return new Map(rows.map((r) => [`${r.appid ?? ''} ${r.date}`, r]));
}

/**
 * The app and CST day bounds of each day of `days` (for each of `appids`, in that order) whose count the
 * ledger does not hold: what must be counted from the entries. Shared with postgres/pg-coverage-report.ts.
 */
export function uncountedDays(
  appids: readonly string[],
  days: readonly CstDay[],
  byKey: ReadonlyMap<string, WindowAggregate>,
): [string, number, number][] {
  const ranges: [string, number, number][] = [];
  for (const appid of appids) {
    for (const date of days) {
      if (ledgerCount(byKey.get(`${appid} ${date}`)) === null) {
        const { begin, end } = cstDayBounds(date);
        ranges.push([appid, begin, end]);
      }
    }
  }
  return ranges;
}

/** Each app's coverage of `days`: the ledger's counts, else `counts`, those of {@link uncountedDays} in order. */
export function appDayCoverage(
  appids: readonly string[],
  days: readonly CstDay[],
  byKey: ReadonlyMap<string, WindowAggregate>,
  counts: readonly (number | undefined)[],
): Map<string, DayCoverage[]> {
  const out = new Map<string, DayCoverage[]>();
  let next = 0;
  for (const appid of appids) {
    out.set(
      appid,
      days.map((date) => {
        const w = byKey.get(`${appid} ${date}`);
        return dayCoverage(date, w, ledgerCount(w) ?? counts[next++] ?? 0);
      }),
    );
  }
  return out;
}

// A complete day's entries as the ledger counted them when its windows were last checked; null when the
// day must be counted. Shared with the PostgreSQL reader (postgres/pg-coverage-report.ts).
export function ledgerCount(w: WindowAggregate | undefined): number | null {
  return w !== undefined && dayState(w) === 'complete' && w.storedComplete != null ? w.storedComplete : null;
}

export function dayCoverage(date: CstDay, w: WindowAggregate | undefined, entriesStored: number): DayCoverage {
  return {
    date,
    state: dayState(w),
    windowsComplete: w?.complete ?? 0,
    windowsIncomplete: w?.incomplete ?? 0,
    entriesStored,
    // A sum over several apps' roots is only meaningful once every root has been checked.
    serverTotal: w && w.rootsChecked === w.roots ? w.serverTotal : null,
    lastCheckedAt: w?.lastCheckedAt ?? null,
  };
}

export function dayState(w: WindowAggregate | undefined): DayState {
  if (w === undefined) return 'not-read';
  if (w.unavailable > 0) return 'unavailable';
  if (w.expired) return 'expired';
  return w.incomplete === 0 && w.complete > 0 ? 'complete' : 'incomplete';
}
