import type { Database } from 'better-sqlite3';

// Each end of the (appid, timestamp, fingerprint) index is one seek; min() and max() in one SELECT would
// scan the table instead.
const APP_RANGE = 'SELECT (SELECT min(appid) FROM log_entries) AS lo, (SELECT max(appid) FROM log_entries) AS hi';

/**
 * The app of every stored entry when the file holds one app only (the usual case), else null (none or
 * several). Queries scoped to that app can then drop the appid condition and use narrower indexes.
 */
export function singleApp(db: Database): string | null {
  const { lo, hi } = db.prepare(APP_RANGE).get() as { lo: string | null; hi: string | null };
  return lo !== null && lo === hi ? lo : null;
}
