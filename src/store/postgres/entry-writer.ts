import type { ServedEntry } from '../../wechat/served-entry.js';
import type { SaveResult, ServedWindow } from '../entry-writer.js';
import { entryFingerprint } from '../fingerprint.js';
import { messageText } from '../message-text.js';
import type { Queryable } from './connection.js';

// A page is written with one multi-row statement per table: the columns travel as arrays and unnest turns
// them back into rows, so a page of any size is a fixed number of parameters and round trips.
const INSERT_ENTRIES = `
  INSERT INTO log_entries (appid, traceid, timestamp, level, platform, library_version, client_version, openid,
                           url, filter_msg, msg, extra, fingerprint, first_seen_at, last_seen_at, window_id)
  SELECT $1, t.traceid, t.ts, t.level, t.platform, t.library_version, t.client_version, t.openid, t.url,
         t.filter_msg, t.msg::json, t.extra::json, t.fingerprint, $2, $2, t.window_id
  FROM unnest($3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[],
              $11::text[], $12::text[], $13::text[], $14::bytea[], $15::bigint[])
       WITH ORDINALITY AS t(traceid, ts, level, platform, library_version, client_version, openid, url, filter_msg,
                            msg, extra, fingerprint, window_id, ord)
  ORDER BY t.ord
  ON CONFLICT (appid, timestamp, fingerprint) DO NOTHING
  RETURNING id, timestamp, fingerprint`;

const TOUCH_ENTRIES = `
  UPDATE log_entries e SET last_seen_at = $2
  FROM unnest($3::bigint[], $4::bytea[]) AS t(ts, fingerprint)
  WHERE e.appid = $1 AND e.timestamp = t.ts AND e.fingerprint = t.fingerprint
  RETURNING e.id, e.timestamp, e.fingerprint`;

const INSERT_MESSAGES = `
  INSERT INTO log_messages (entry_id, entry_timestamp, seq, time, level, args, text, logged_at)
  SELECT t.entry_id, t.entry_timestamp, t.seq, t.time, t.level, t.args::json, t.text, t.logged_at
  FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::bigint[])
       AS t(entry_id, entry_timestamp, seq, time, level, args, text, logged_at)`;

/**
 * `value` as a PostgreSQL text can hold it: text cannot hold U+0000, and a served string with one failed the
 * whole page, every run, so that the rest of its day was never read. Each becomes U+FFFD in the text columns
 * (docs/postgres.md, "Schema differences from SQLite"); msg, args and extra keep it exactly, as JSON's `\u0000`.
 */
export function pgText<T extends string | null>(value: T): T {
  return (value === null || !value.includes('\0') ? value : value.replaceAll('\0', '\uFFFD')) as T;
}

const LINK_LEDGER = `
  INSERT INTO ledger_entries (filter_key, entry_id, timestamp)
  SELECT $1, t.entry_id, t.ts FROM unnest($2::bigint[], $3::bigint[]) AS t(entry_id, ts)
  ON CONFLICT DO NOTHING`;

const FIND_UNTIMED = `
  SELECT e.id, e.timestamp, e.window_id AS "windowId", w.begintime, w.endtime
  FROM log_entries e LEFT JOIN windows w ON w.id = e.window_id
  WHERE e.appid = $1 AND e.fingerprint = $2 AND e.window_id IS NOT NULL
  LIMIT 1`;

interface UntimedRow {
  id: number;
  timestamp: number;
  windowId: number;
  begintime: number | null;
  endtime: number | null;
}

interface EntryKeyRow {
  id: number;
  timestamp: number;
  fingerprint: Buffer;
}

interface PendingEntry {
  entry: ServedEntry;
  timestamp: number;
  fingerprint: Buffer;
  windowId: number | null;
}

const keyOf = (timestamp: number, fingerprint: Buffer): string => `${timestamp}:${fingerprint.toString('hex')}`;

/** A bigint column's value: integers only (a lenient read may give 1.5; the served text keeps it in msg). */
const whole = (n: number | null): number | null => (n !== null && Number.isSafeInteger(n) ? n : null);

/**
 * The timestamps a page's entries will be stored under (an untimed entry's is its window's begintime):
 * the months whose partitions must exist before the page is written.
 */
export function pageTimestamps(entries: readonly ServedEntry[], window: ServedWindow): number[] {
  return entries.map((e) => e.timestamp ?? window.begintime);
}

/**
 * Writes pages of entries into PostgreSQL as src/store/entry-writer.ts does into SQLite: the same identity
 * and fingerprint, the same filing of untimed entries. Runs on the caller's transaction (`db` is its client).
 */
export async function saveEntries(
  db: Queryable,
  appid: string,
  entries: readonly ServedEntry[],
  seenAt: number,
  window: ServedWindow,
  filterKey: string,
): Promise<SaveResult> {
  const links: { id: number; timestamp: number }[] = [];
  const pending: PendingEntry[] = [];
  for (const entry of entries) {
    const fingerprint = entryFingerprint(entry.raw);
    if (entry.timestamp === null) {
      const known = await findUntimed(db, appid, fingerprint);
      // One stored earlier in this very page is not found here: the insert's conflict catches it.
      if (known) {
        links.push({ id: known.id, timestamp: await refile(db, known, window, seenAt) });
        continue;
      }
    }
    pending.push({
      entry,
      timestamp: entry.timestamp ?? window.begintime,
      fingerprint,
      windowId: entry.timestamp === null ? window.id : null,
    });
  }
  let inserted = 0;
  if (pending.length > 0) {
    const col = <T>(f: (p: PendingEntry) => T): T[] => pending.map(f);
    const { rows: fresh } = await db.query<EntryKeyRow>({
      name: 'wxlog_insert_entries',
      text: INSERT_ENTRIES,
      values: [
        appid,
        seenAt,
        col((p) => pgText(p.entry.traceid)),
        col((p) => p.timestamp),
        col((p) => whole(p.entry.level)),
        col((p) => whole(p.entry.platform)),
        col((p) => pgText(p.entry.libraryVersion)),
        col((p) => pgText(p.entry.clientVersion)),
        col((p) => pgText(p.entry.openid)),
        col((p) => pgText(p.entry.url)),
        col((p) => pgText(p.entry.filterMsg)),
        col((p) => JSON.stringify(p.entry.msg)),
        col((p) => (p.entry.extra === null ? null : JSON.stringify(p.entry.extra))),
        col((p) => p.fingerprint),
        col((p) => p.windowId),
      ],
    });
    inserted = fresh.length;
    const ids = new Map(fresh.map((r) => [keyOf(r.timestamp, r.fingerprint), r.id]));
    await insertMessages(db, pending, ids);
    const known = pending.filter((p) => !ids.has(keyOf(p.timestamp, p.fingerprint)));
    if (known.length > 0) {
      const { rows } = await db.query<EntryKeyRow>({
        name: 'wxlog_touch_entries',
        text: TOUCH_ENTRIES,
        values: [appid, seenAt, known.map((p) => p.timestamp), known.map((p) => p.fingerprint)],
      });
      for (const r of rows) ids.set(keyOf(r.timestamp, r.fingerprint), r.id);
    }
    for (const p of pending) {
      const id = ids.get(keyOf(p.timestamp, p.fingerprint));
      if (id !== undefined) links.push({ id, timestamp: p.timestamp });
    }
  }
  if (filterKey !== '' && links.length > 0) {
    await db.query(LINK_LEDGER, [filterKey, links.map((l) => l.id), links.map((l) => l.timestamp)]);
  }
  return { inserted, seen: entries.length };
}

/** The messages of the entries this page stored for the first time (the first of duplicates in the page). */
async function insertMessages(db: Queryable, pending: readonly PendingEntry[], ids: Map<string, number>) {
  const done = new Set<string>();
  const rows: [number, number, number, number | null, number | null, string, string, number][] = [];
  for (const p of pending) {
    const key = keyOf(p.timestamp, p.fingerprint);
    const id = ids.get(key);
    if (id === undefined || done.has(key)) continue;
    done.add(key);
    p.entry.messages.forEach((m, seq) => {
      const time = whole(m.time);
      // logged_at: the call's own time, else its entry's (what search orders by; SQLite migration 0003).
      rows.push([
        id,
        p.timestamp,
        seq,
        time,
        whole(m.level),
        JSON.stringify(m.args ?? null),
        pgText(messageText(m.args)),
        time ?? p.timestamp,
      ]);
    });
  }
  if (rows.length === 0) return;
  await db.query({
    name: 'wxlog_insert_messages',
    text: INSERT_MESSAGES,
    values: [0, 1, 2, 3, 4, 5, 6, 7].map((i) => rows.map((r) => r[i])),
  });
}

async function findUntimed(db: Queryable, appid: string, fingerprint: Buffer): Promise<UntimedRow | undefined> {
  const { rows } = await db.query<UntimedRow>({
    name: 'wxlog_find_untimed',
    text: FIND_UNTIMED,
    values: [appid, fingerprint],
  });
  return rows[0];
}

/**
 * An entry without a timestamp served again: filed under the narrower window, as src/store/entry-writer.ts
 * explains. Its messages and ledger links follow its new timestamp through the foreign keys' ON UPDATE
 * CASCADE. Returns the timestamp it is filed under.
 */
async function refile(db: Queryable, known: UntimedRow, window: ServedWindow, seenAt: number): Promise<number> {
  const narrower =
    known.windowId !== window.id &&
    (known.begintime === null ||
      known.endtime === null ||
      (window.begintime >= known.begintime && window.endtime <= known.endtime));
  if (!narrower) {
    await db.query('UPDATE log_entries SET last_seen_at = $1 WHERE timestamp = $2 AND id = $3', [
      seenAt,
      known.timestamp,
      known.id,
    ]);
    return known.timestamp;
  }
  await db.query(
    'UPDATE log_entries SET timestamp = $1, window_id = $2, last_seen_at = $3 WHERE timestamp = $4 AND id = $5',
    [window.begintime, window.id, seenAt, known.timestamp, known.id],
  );
  await db.query(
    'UPDATE log_messages SET logged_at = $1 WHERE entry_timestamp = $1 AND entry_id = $2 AND time IS NULL',
    [window.begintime, known.id],
  );
  return window.begintime;
}
