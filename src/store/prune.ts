import type { Database } from 'better-sqlite3';
import { cstDayOf, type CstDay } from '../wechat/cst-day.js';

/** What a prune removed (or, for a dry run, would remove). */
export interface PruneCounts {
  entries: number;
  messages: number;
  /** Rows of filtered ledgers pointing at those entries. */
  ledgerEntries: number;
  /** Coverage-ledger windows of the days removed, so that `status` no longer reports them. */
  windows: number;
}

// The windows of a day go with the day's entries: the days that end before the cut. With `before` at a CST
// midnight that is exactly the days whose entries go.
function firstKeptDate(before: number): CstDay {
  return cstDayOf(before);
}

/** What {@link pruneEntries} would remove, without removing anything. */
export function countPrunable(db: Database, before: number): PruneCounts {
  const n = (sql: string, ...params: unknown[]): number => (db.prepare(sql).get(...params) as { n: number }).n;
  return {
    entries: n('SELECT count(*) AS n FROM log_entries WHERE timestamp < ?', before),
    messages: n(
      'SELECT count(*) AS n FROM log_messages WHERE entry_id IN (SELECT id FROM log_entries WHERE timestamp < ?)',
      before,
    ),
    ledgerEntries: n('SELECT count(*) AS n FROM ledger_entries WHERE timestamp < ?', before),
    windows: n('SELECT count(*) AS n FROM windows WHERE date < ?', firstKeptDate(before)),
  };
}

/**
 * Deletes every entry (all appids) with a timestamp before `before` (unix seconds, a CST midnight so that whole days go), its messages (the FTS delete
 * trigger removes their index rows), its filtered-ledger rows, and the coverage windows of the days
 * before the cut, in one transaction. Space is not reclaimed: see {@link reclaimSpace}.
 */
export function pruneEntries(db: Database, before: number): PruneCounts {
  const deleteMessages = db.prepare(
    'DELETE FROM log_messages WHERE entry_id IN (SELECT id FROM log_entries WHERE timestamp < ?)',
  );
  const deleteLedgerEntries = db.prepare('DELETE FROM ledger_entries WHERE timestamp < ?');
  const deleteEntries = db.prepare('DELETE FROM log_entries WHERE timestamp < ?');
  // Parents and their split children share a date, so one statement removes whole trees and the
  // parent_id foreign key, checked at the statement's end, holds.
  const deleteWindows = db.prepare('DELETE FROM windows WHERE date < ?');
  return db
    .transaction((): PruneCounts => {
      // Messages first and explicitly, rather than by the ON DELETE CASCADE, so that they can be counted.
      const messages = deleteMessages.run(before).changes;
      const ledgerEntries = deleteLedgerEntries.run(before).changes;
      const entries = deleteEntries.run(before).changes;
      const windows = deleteWindows.run(firstKeptDate(before)).changes;
      return { entries, messages, ledgerEntries, windows };
    })
    .immediate();
}

/**
 * Gives the space of deleted rows back to the file system: VACUUM rewrites the file (through the WAL),
 * then a TRUNCATE checkpoint copies it back and empties the WAL. Readers may keep reading meanwhile.
 */
export function reclaimSpace(db: Database): void {
  db.exec('VACUUM');
  db.pragma('wal_checkpoint(TRUNCATE)');
}
