import type { Database } from 'better-sqlite3';

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

const ORDER = 'ORDER BY coalesce(m.time, e.timestamp) DESC, e.timestamp DESC, m.id DESC';

// First the newest matches' ids, from the covering indexes of migration 0002 alone (INDEXED BY: the
// planner would otherwise read the wide rows by rowid); then only those rows.
const NEWEST_IDS = `
  SELECT m.id FROM log_messages m %M_INDEX%
  JOIN log_entries e %E_INDEX% ON e.id = m.entry_id
  WHERE %MATCH%
    AND (@minLevel IS NULL OR m.level >= @minLevel)
    AND (@since IS NULL OR coalesce(m.time, e.timestamp) >= @since)
    AND (@appid IS NULL OR e.appid = @appid)
  ${ORDER}
  LIMIT @limit`;

const ROWS = `
  SELECT m.id AS messageId, e.id AS entryId, e.appid, coalesce(m.time, e.timestamp) AS time, e.timestamp,
         m.level, e.url, e.traceid, e.openid, m.text, m.args
  FROM log_messages m
  JOIN log_entries e ON e.id = m.entry_id
  WHERE m.id IN (%IDS%)
  ${ORDER}`;

/**
 * Messages containing `query.text`, newest first (by message time, then entry timestamp). Text of three
 * characters or more goes through the trigram FTS index (Chinese substrings included: `请求失败` finds
 * `网络请求失败`); shorter text falls back to scanning with `LIKE`.
 */
export function searchMessages(db: Database, query: MessageQuery): MessageHit[] {
  const params = {
    minLevel: query.minLevel ?? null,
    since: query.since ?? null,
    appid: query.appid === undefined || query.appid === '' ? null : query.appid,
    limit: query.limit,
  };
  const fts = [...query.text].length >= FTS_MIN_CHARACTERS;
  // A file not yet migrated to 0002 (opened read-only by a newer wxlog) is searched without the indexes.
  const indexed = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'log_entries_search_order'").get() !== undefined;
  const newestIds = NEWEST_IDS.replace('%M_INDEX%', indexed ? 'INDEXED BY log_messages_search_order' : '').replace(
    '%E_INDEX%',
    indexed ? 'INDEXED BY log_entries_search_order' : '',
  );
  const ids = db
    .prepare(
      newestIds.replace(
        '%MATCH%',
        fts ? 'm.id IN (SELECT rowid FROM log_messages_fts WHERE log_messages_fts MATCH @match)' : "m.id IN (SELECT id FROM log_messages WHERE text LIKE @pattern ESCAPE '\\')",
      ),
    )
    .pluck()
    .all({ ...params, ...(fts ? { match: ftsPhrase(query.text) } : { pattern: likeContaining(query.text) }) }) as number[];
  if (ids.length === 0) return [];
  return db.prepare(ROWS.replace('%IDS%', ids.map(() => '?').join(','))).all(...ids) as MessageHit[];
}
