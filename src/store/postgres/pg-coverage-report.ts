import type pg from 'pg';
import type { CstDay } from '../../wechat/cst-day.js';
import {
  aggregatesByAppDay,
  appDayCoverage,
  uncountedDays,
  type CoverageScope,
  type DayCoverage,
  type WindowAggregate as SharedAggregate,
} from '../coverage-report.js';

type WindowAggregate = SharedAggregate & { appid: string };

// The figures of SQLite's CoverageReport, per app and day ('' as the app when every app is added up).
const WINDOWS = (perApp: boolean): string => `
  SELECT ${perApp ? 'appid' : "''"} AS appid, date,
         count(*) FILTER (WHERE status = 'complete') AS complete,
         count(*) FILTER (WHERE status IN ('pending', 'incomplete')) AS incomplete,
         sum(server_total) FILTER (WHERE parent_id IS NULL) AS "serverTotal",
         count(*) FILTER (WHERE parent_id IS NULL) AS roots,
         count(server_total) FILTER (WHERE parent_id IS NULL) AS "rootsChecked",
         max(checked_at) AS "lastCheckedAt",
         coalesce(bool_or(expired_at IS NOT NULL), false) AS expired,
         count(*) FILTER (WHERE status = 'unavailable') AS unavailable,
         sum(stored_count) FILTER (WHERE status = 'complete') AS "storedComplete"
  FROM windows
  WHERE filter_key = $1 AND date BETWEEN $2 AND $3 ${perApp ? 'AND appid = ANY ($4)' : ''}
  GROUP BY ${perApp ? 'appid, ' : ''}date`;

// Entries stored in each range [begin, end] of an app ('' for every app); for a filtered ledger, the entries
// that ledger has seen.
const STORED = `
  SELECT r.i, (SELECT count(*) FROM log_entries e
               WHERE (r.appid = '' OR e.appid = r.appid) AND e.timestamp BETWEEN r.lo AND r.hi) AS n
  FROM unnest($1::text[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS r(appid, lo, hi, i)`;
const LEDGER_STORED = `
  SELECT r.i, (SELECT count(*) FROM ledger_entries l JOIN log_entries e ON e.timestamp = l.timestamp AND e.id = l.entry_id
               WHERE l.filter_key = $4 AND l.timestamp BETWEEN r.lo AND r.hi
                 AND (r.appid = '' OR e.appid = r.appid)) AS n
  FROM unnest($1::text[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS r(appid, lo, hi, i)`;

/** The figures behind `wxlog status` on PostgreSQL: SQLite's `CoverageReport`, in the same shapes. */
export class PgCoverageReport {
  constructor(private readonly db: pg.Pool) {}

  /** Coverage of `days` (YYYYMMDD) for one app, or for every app added up when `scope.appid` is `''`. */
  async days(scope: CoverageScope, days: readonly CstDay[]): Promise<DayCoverage[]> {
    const apps = scope.appid === '' ? [''] : [scope.appid];
    return (await this.appDays(scope.filterKey, apps, days)).get(scope.appid) ?? [];
  }

  /** Coverage of `days` for each of `appids` (`''`: every app added up), in two statements. */
  async appDays(
    filterKey: string,
    appids: readonly string[],
    days: readonly CstDay[],
  ): Promise<Map<string, DayCoverage[]>> {
    if (days.length === 0 || appids.length === 0) return new Map(appids.map((appid) => [appid, []]));
    const sorted = [...days].sort();
    const allApps = appids.length === 1 && appids[0] === '';
    const params: unknown[] = [filterKey, sorted[0], sorted.at(-1)];
    const { rows } = await this.db.query<WindowAggregate>(WINDOWS(!allApps), allApps ? params : [...params, appids]);
    const byKey = aggregatesByAppDay(rows);
    const counts = await this.count(filterKey, uncountedDays(appids, days, byKey));
    return appDayCoverage(appids, days, byKey, counts);
  }

  /** Entries of the scope stored with a timestamp before `before` (unix seconds). */
  async entriesBefore(scope: CoverageScope, before: number): Promise<number> {
    return (await this.count(scope.filterKey, [[scope.appid, 0, before - 1]]))[0] ?? 0;
  }

  private async count(filterKey: string, ranges: readonly [string, number, number][]): Promise<number[]> {
    if (ranges.length === 0) return [];
    const columns = [ranges.map((r) => r[0]), ranges.map((r) => r[1]), ranges.map((r) => r[2])];
    const { rows } = await this.db.query<{ i: number; n: number }>(
      filterKey === '' ? STORED : LEDGER_STORED,
      filterKey === '' ? columns : [...columns, filterKey],
    );
    const counts: number[] = [];
    for (const { i, n } of rows) counts[i - 1] = n;
    return counts;
  }
}
