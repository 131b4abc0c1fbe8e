import type { Database } from 'better-sqlite3';
import { singleApp } from './single-app.js';

/** The trigram tokenizer indexes runs of three characters: shorter text cannot use the FTS index. */
export const FTS_MIN_CHARACTERS = 3;

/** What `wxlog search` looks for. */
export interface MessageQuery {
  /** Text to find anywhere in a message (a substring, case-insensitive for ASCII letters). */
  text: string;
  /** Only messages whose level is at least this (2 info, 4 warn, 8 error). */
  minLevel?: number;
  /** Only messages logged at or after this instant (unix seconds). */
  since?: number;
  /** Only this app's entries; all apps when absent or `''`. */
  appid?: string;
  limit: number;
}

/** One matching message with its entry's fields. */
export interface MessageHit {
  messageId: number;
  entryId: number;
  appid: string;
  /** When the log call was made: the message's time, or its entry's timestamp when it has none. */
  time: number;
  timestamp: number;
  level: number | null;
  url: string | null;
  traceid: string | null;
  openid: string | null;
  text: string;
  /** The call's arguments as JSON. */
  args: string;
}

/**
 * `text` as one FTS5 phrase: wrapped in double quotes with inner quotes doubled, so that operators and
 * punctuation in it (`a"b OR`, `NEAR(`, `*`) are searched for literally instead of parsed.
 */
export function ftsPhrase(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

/** `text` as a LIKE pattern matching it anywhere, `\` escaping the wildcards in it. */
export function likeContaining(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

// Newest first: by when the call was logged, the latest stored first among calls of the same second.
const ORDER = 'ORDER BY logged_at DESC, m.id DESC';

// First the newest matches' ids, from the narrow covering index (id, logged_at, level, entry_id) alone
// (INDEXED BY: the planner would otherwise read the wide rows by rowid); then only those rows. The entry
// is joined only to filter by app in a file that holds several.
const NEWEST_IDS = `
  SELECT m.id, m.logged_at FROM log_messages m INDEXED BY log_messages_search_order
  %APP_JOIN%
  WHERE %MATCH%
    AND (@minLevel IS NULL OR m.level >= @minLevel)
    AND (@since IS NULL OR m.logged_at >= @since)
  ${ORDER}
  LIMIT @limit`;
const APP_JOIN = 'JOIN log_entries e INDEXED BY log_entries_search_order ON e.id = m.entry_id AND e.appid = @appid';

// A file not yet migrated to 0003 (opened read-only by a newer wxlog, which never migrates): the log time
// comes from the entry, without the search indexes.
const NEWEST_IDS_BEFORE_0003 = `
  SELECT m.id, coalesce(m.time, e.timestamp) AS logged_at FROM log_messages m
  JOIN log_entries e ON e.id = m.entry_id
  WHERE %MATCH%
    AND (@minLevel IS NULL OR m.level >= @minLevel)
    AND (@since IS NULL OR coalesce(m.time, e.timestamp) >= @since)
    AND (@appid IS NULL OR e.appid = @appid)
  ${ORDER}
  LIMIT @limit`;

const ROWS = `
  SELECT m.id AS messageId, e.id AS entryId, e.appid, e.timestamp, m.level, e.url, e.traceid, e.openid, m.text, m.args
  FROM log_messages m
  JOIN log_entries e ON e.id = m.entry_id
  WHERE m.id IN (SELECT value FROM json_each(?))`;

/**
 * Messages containing `query.text`, newest first (by when each call was logged). Text of three
 * characters or more goes through the trigram FTS index (Chinese substrings included: `请求失败` finds
 * `网络请求失败`); shorter text falls back to scanning with `LIKE`.
 */
export function searchMessages(db: Database, query: MessageQuery): MessageHit[] {
  const fts = [...query.text].length >= FTS_MIN_CHARACTERS;
  const match = fts
    ? 'm.id IN (SELECT rowid FROM log_messages_fts WHERE log_messages_fts MATCH @match)'
    : "m.id IN (SELECT id FROM log_messages WHERE text LIKE @pattern ESCAPE '\\')";
  const current = db.prepare("SELECT 1 FROM pragma_table_info('log_messages') WHERE name = 'logged_at'").get() !== undefined;
  const appid = query.appid === undefined || query.appid === '' || (current && singleApp(db) === query.appid) ? null : query.appid;
  const sql = current ? NEWEST_IDS.replace('%APP_JOIN%', appid === null ? '' : APP_JOIN) : NEWEST_IDS_BEFORE_0003;
  const newest = db.prepare(sql.replace('%MATCH%', match)).all({
    minLevel: query.minLevel ?? null,
    since: query.since ?? null,
    limit: query.limit,
    ...(current && appid === null ? {} : { appid }),
    ...(fts ? { match: ftsPhrase(query.text) } : { pattern: likeContaining(query.text) }),
  }) as { id: number; logged_at: number }[];
  if (newest.length === 0) return [];
  const found = db.prepare(ROWS).all(JSON.stringify(newest.map((n) => n.id))) as Omit<MessageHit, 'time'>[];
  const rows = new Map(found.map((r) => [r.messageId, r]));
  return newest.map(({ id, logged_at }) => ({ ...(rows.get(id) as Omit<MessageHit, 'time'>), time: logged_at }));
}
