import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { recentCstDays } from '../src/wechat/cst-day.js';
import { readEveryPage, type RawEntry, type ReferenceResult } from './reference-pages.js';

export type { ReferenceResult } from './reference-pages.js';

/**
 * The bare reference wxlog's ingest is compared with: fetch every page of every day with plain undici,
 * insert its entries and their messages in one transaction per page into a database with wxlog's own
 * tables, indexes and trigram full-text index (migrations/sqlite/0001_init.sql). No ledger, no rate budget, no
 * retry policy, no validation: the least work that leaves the same rows a user can query. Pages are read
 * as bench/reference-pages.ts reads them.
 */

export interface ReferenceOptions {
  /** The simulator's origin. */
  apiBase: string;
  appid: string;
  secret: string;
  db: string;
  pageSize: number;
  /** Unix milliseconds deciding which CST days are read (the simulator's calendar). */
  now: number;
}

const SCHEMA = fileURLToPath(new URL('../migrations/sqlite/0001_init.sql', import.meta.url));

/** Reads every retention day of the simulator into `options.db`; the file must not exist yet. */
export async function referenceLoop(options: ReferenceOptions): Promise<ReferenceResult> {
  mkdirSync(dirname(options.db), { recursive: true });
  const db = new BetterSqlite3(options.db);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(readFileSync(SCHEMA, 'utf8'));
  const insertEntry = db.prepare(`
    INSERT INTO log_entries (appid, traceid, timestamp, level, platform, library_version, client_version, openid,
                             url, filter_msg, msg, fingerprint, first_seen_at, last_seen_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insertMessage = db.prepare(
    'INSERT INTO log_messages (entry_id, seq, time, level, args, text) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const savePage = db.transaction((list: RawEntry[], seenAt: number) => {
    for (const e of list) {
      const msg = JSON.stringify(e.msg ?? []);
      // The least a fingerprint can be: a hash of the entry as served (wxlog hashes canonical JSON).
      const fingerprint = createHash('sha256').update(JSON.stringify(e)).digest().subarray(0, 16);
      const id = insertEntry.run(
        options.appid,
        e.traceid ?? null,
        e.timestamp,
        e.level ?? null,
        e.platform ?? null,
        e.libraryVersion ?? null,
        e.clientVersion ?? null,
        e.id ?? null,
        e.url ?? null,
        e.filterMsg ?? null,
        msg,
        fingerprint,
        seenAt,
        seenAt,
      ).lastInsertRowid;
      (e.msg ?? []).forEach((m, seq) => {
        const args = m.msg ?? [];
        const text = args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
        insertMessage.run(id, seq, m.time ?? null, m.level ?? null, JSON.stringify(args), text);
      });
    }
  });

  try {
    return await readEveryPage(options, recentCstDays(Math.floor(options.now / 1000), 7), savePage);
  } finally {
    db.close();
  }
}
