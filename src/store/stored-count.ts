import type { Database, Statement } from 'better-sqlite3';

/**
 * How many entries are stored in [begin, end] (inclusive unix seconds): what a window's or a day's server
 * total is matched by. For an unfiltered ledger (`filterKey` `''`) that is the entries themselves; for a
 * filtered one, the entries that ledger has seen (`ledger_entries`). Prepared once; the coverage ledger
 * and `wxlog status` both count with it.
 */
export class StoredCount {
  private readonly oneApp: Statement;
  private readonly allApps: Statement;
  private readonly ledgerOneApp: Statement;
  private readonly ledgerAllApps: Statement;

  constructor(db: Database) {
    // Over log_entries_identity (appid, timestamp, fingerprint).
    this.oneApp = db.prepare(
      'SELECT count(*) AS n FROM log_entries WHERE appid = @appid AND timestamp BETWEEN @begin AND @end',
    );
    // Over log_entries_timestamp, about half the size of the identity index.
    this.allApps = db.prepare('SELECT count(*) AS n FROM log_entries WHERE timestamp BETWEEN @begin AND @end');
    this.ledgerOneApp = db.prepare(`
      SELECT count(*) AS n FROM ledger_entries l JOIN log_entries e ON e.id = l.entry_id
      WHERE l.filter_key = @filterKey AND l.timestamp BETWEEN @begin AND @end AND e.appid = @appid`);
    // Over ledger_entries_time alone, without a look into log_entries per row.
    this.ledgerAllApps = db.prepare(
      'SELECT count(*) AS n FROM ledger_entries WHERE filter_key = @filterKey AND timestamp BETWEEN @begin AND @end',
    );
  }

  /** Entries of `appid` stored in [begin, end] for the ledger `filterKey`. */
  ofApp(appid: string, filterKey: string, begin: number, end: number): number {
    const row =
      filterKey === ''
        ? this.oneApp.get({ appid, begin, end })
        : this.ledgerOneApp.get({ appid, filterKey, begin, end });
    return (row as { n: number }).n;
  }

  /**
   * Entries of every app stored in [begin, end] for the ledger `filterKey`. For a file that holds one app
   * only this is {@link ofApp}'s count without the appid condition, over the narrower indexes.
   */
  ofAllApps(filterKey: string, begin: number, end: number): number {
    const row = filterKey === '' ? this.allApps.get({ begin, end }) : this.ledgerAllApps.get({ filterKey, begin, end });
    return (row as { n: number }).n;
  }
}
