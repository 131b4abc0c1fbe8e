import type pg from 'pg';
import { likeContaining, type MessageHit, type MessageQuery } from '../message-search.js';

// Newest first as in SQLite: by when the call was logged, the latest stored first among calls of the same
// second. ILIKE '%…%' is served by the trigram index log_messages_text_trgm (three characters or more; shorter
// text reads the whole index), and is case-insensitive for Latin letters as SQLite's trigram FTS is.
const SEARCH = `
  SELECT m.id AS "messageId", e.id AS "entryId", e.appid, m.logged_at AS time, e.timestamp, m.level, e.url,
         e.traceid, e.openid, m.text, m.args::text AS args
  FROM log_messages m
  JOIN log_entries e ON e.timestamp = m.entry_timestamp AND e.id = m.entry_id
  WHERE m.text ILIKE $1 ESCAPE '\\'
    AND ($2::bigint IS NULL OR m.level >= $2)
    AND ($3::bigint IS NULL OR m.logged_at >= $3)
    AND ($4::text[] IS NULL OR e.appid = ANY ($4))
  ORDER BY m.logged_at DESC, m.id DESC
  LIMIT $5`;

/** Messages containing `query.text`, newest first: `searchMessages` of SQLite, through pg_trgm. */
export async function pgSearchMessages(db: pg.Pool, query: MessageQuery): Promise<MessageHit[]> {
  const wanted = [...new Set([...(query.appids ?? []), ...(query.appid ? [query.appid] : [])])];
  const { rows } = await db.query<MessageHit>(SEARCH, [
    likeContaining(query.text),
    query.minLevel ?? null,
    query.since ?? null,
    wanted.length === 0 ? null : wanted,
    query.limit,
  ]);
  return rows;
}
