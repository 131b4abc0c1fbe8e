import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { cstDayBounds, recentCstDays } from '../src/wechat/cst-day.js';
import { readEveryPage, type RawEntry, type ReferenceResult } from './reference-pages.js';

/**
 * The bare reference wxlog's PostgreSQL ingest is compared with, as bench/reference-loop.ts is for SQLite:
 * fetch every page of every day with plain undici, one after another, and insert its entries and their
 * messages in one transaction per page, one multi-row INSERT per table (the columns sent as arrays and
 * turned back into rows by unnest, the cheapest way to send many rows with parameters), into an empty
 * database given wxlog's own schema (migrations/postgres/0001_init.sql: the same partitioned tables, indexes
 * and trigram index) and the partitions of the days it reads. No ledger, no rate budget, no lease, no retry
 * policy, no validation: the least work that leaves the same rows a user can query. Pages are read as
 * bench/reference-pages.ts reads them, as in SQLite's.
 */

export interface PgReferenceOptions {
  /** The simulator's origin. */
  apiBase: string;
  appid: string;
  secret: string;
  /** postgres:// URL of an empty database. */
  db: string;
  pageSize: number;
  /** Unix milliseconds deciding which CST days are read (the simulator's calendar). */
  now: number;
}

const SCHEMA = fileURLToPath(new URL('../migrations/postgres/0001_init.sql', import.meta.url));

const INSERT_ENTRIES = `
  INSERT INTO log_entries (appid, traceid, timestamp, level, platform, library_version, client_version, openid,
                           url, filter_msg, msg, fingerprint, first_seen_at, last_seen_at)
  SELECT $1, t.traceid, t.ts, t.level, t.platform, t.library_version, t.client_version, t.openid, t.url,
         t.filter_msg, t.msg::json, t.fingerprint, $2, $2
  FROM unnest($3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[],
              $10::text[], $11::text[], $12::text[], $13::bytea[])
       AS t(traceid, ts, level, platform, library_version, client_version, openid, url, filter_msg, msg, fingerprint)
  RETURNING id, timestamp, fingerprint`;

const INSERT_MESSAGES = `
  INSERT INTO log_messages (entry_id, entry_timestamp, seq, time, level, args, text, logged_at)
  SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::bigint[], $5::bigint[], $6::json[], $7::text[],
                       $8::bigint[])`;

const keyOf = (timestamp: number | string, fingerprint: Buffer): string =>
  `${String(timestamp)}:${fingerprint.toString('hex')}`;

/** Reads every retention day of the simulator into the empty database `options.db`. */
export async function pgReferenceLoop(options: PgReferenceOptions): Promise<ReferenceResult> {
  const db = new pg.Client({ connectionString: options.db });
  await db.connect();
  const days = recentCstDays(Math.floor(options.now / 1000), 7);
  try {
    await db.query(readFileSync(SCHEMA, 'utf8'));
    // The month partitions of the days read, once, with the schema's own function.
    for (const begin of new Set(days.map((d) => cstDayBounds(d).begin)))
      await db.query('SELECT wxlog_ensure_month_partition($1)', [begin]);

    const savePage = async (list: RawEntry[], seenAt: number): Promise<void> => {
      if (list.length === 0) return;
      const fingerprints = list.map((e) => createHash('sha256').update(JSON.stringify(e)).digest().subarray(0, 16));
      const col = <T>(f: (e: RawEntry) => T): T[] => list.map(f);
      await db.query('BEGIN');
      const { rows } = await db.query<{ id: string; timestamp: string; fingerprint: Buffer }>(INSERT_ENTRIES, [
        options.appid,
        seenAt,
        col((e) => e.traceid ?? null),
        col((e) => e.timestamp),
        col((e) => e.level ?? null),
        col((e) => e.platform ?? null),
        col((e) => e.libraryVersion ?? null),
        col((e) => e.clientVersion ?? null),
        col((e) => e.id ?? null),
        col((e) => e.url ?? null),
        col((e) => e.filterMsg ?? null),
        col((e) => JSON.stringify(e.msg ?? [])),
        fingerprints,
      ]);
      const ids = new Map(rows.map((r) => [keyOf(r.timestamp, r.fingerprint), r.id]));
      const m: unknown[][] = [[], [], [], [], [], [], [], []];
      list.forEach((e, i) => {
        const id = ids.get(keyOf(e.timestamp, fingerprints[i]!));
        (e.msg ?? []).forEach((message, seq) => {
          const args = message.msg ?? [];
          const text = args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
          const row = [id, e.timestamp, seq, message.time ?? null, message.level ?? null];
          row.push(JSON.stringify(args), text, message.time ?? e.timestamp);
          row.forEach((v, c) => m[c]!.push(v));
        });
      });
      await db.query(INSERT_MESSAGES, m);
      await db.query('COMMIT');
    };

    return await readEveryPage(options, days, savePage);
  } finally {
    await db.end();
  }
}
