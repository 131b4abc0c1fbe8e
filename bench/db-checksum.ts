import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';

/**
 * A digest of the stored logs: every row of log_entries and log_messages, in id order, and the
 * full-text index's row count. Equal digests before and after a run: it lost and corrupted nothing.
 */
export function dataChecksum(dbPath: string): string {
  const db = new BetterSqlite3(dbPath, { readonly: true });
  try {
    const hash = createHash('sha256');
    for (const table of ['log_entries', 'log_messages']) {
      for (const row of db.prepare(`SELECT * FROM ${table} ORDER BY id`).raw().iterate() as Iterable<unknown[]>) {
        hash.update(JSON.stringify(row, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v)));
        hash.update('\n');
      }
    }
    hash.update(String((db.prepare('SELECT count(*) AS n FROM log_messages_fts').get() as { n: number }).n));
    return hash.digest('hex');
  } finally {
    db.close();
  }
}

/** A digest of the database's files as bytes (main file and WAL); 'absent' when there is none. */
export function fileChecksum(dbPath: string): string {
  if (!existsSync(dbPath)) return 'absent';
  const hash = createHash('sha256');
  for (const suffix of ['', '-wal']) {
    if (existsSync(dbPath + suffix)) hash.update(readFileSync(dbPath + suffix));
    hash.update('|');
  }
  return hash.digest('hex');
}

/** PRAGMA integrity_check's answer ('ok' when sound). */
export function integrity(dbPath: string): string {
  const db = new BetterSqlite3(dbPath);
  try {
    return String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
}

/** Rows in log_entries and log_messages together. */
export function storedRows(dbPath: string): number {
  const db = new BetterSqlite3(dbPath, { readonly: true });
  try {
    return (
      db.prepare('SELECT (SELECT count(*) FROM log_entries) + (SELECT count(*) FROM log_messages) AS n').get() as {
        n: number;
      }
    ).n;
  } finally {
    db.close();
  }
}
