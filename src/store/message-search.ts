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
  /** Only these apps' entries (with `appid`, if given, as well); all apps when absent or empty. */
  appids?: readonly string[];
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

/** How to find the newest matches; `auto` picks by the number of matches (tests force the others). */
export type SearchPlan = 'auto' | 'lookup' | 'scan';

// Looking one match up by rowid costs about as much as stepping this many entries of log_messages_newest
// (measured on the 1M-entry bench file: ~2.6 µs against ~0.085 µs).
const LOOKUP_COST_IN_STEPS = 30;

/**
 * Up to how many matches `lookup` is cheaper than `scan`. Looking up reads every match; scanning from
 * the newest message reads about `limit × messages ÷ matches` index entries before it has `limit`. They
 * cost the same at `matches = √(limit × messages ÷ LOOKUP_COST_IN_STEPS)`: ~2,100 for 50 of 2.6M messages.
 */
function lookupCap(limit: number, messages: number): number {
  return Math.max(limit, Math.ceil(Math.sqrt((limit * messages) / LOOKUP_COST_IN_STEPS)));
}

// Newest first: by when the call was logged, the latest stored first among calls of the same second.
const ORDER = 'ORDER BY m.logged_at DESC, m.id DESC';

const APP_JOIN =
  'JOIN log_entries e INDEXED BY log_entries_search_order ON e.id = m.entry_id AND e.appid IN (SELECT value FROM json_each(@appids))';

const ROWS = `
  SELECT m.id AS messageId, e.id AS entryId, e.appid, m.logged_at AS time, e.timestamp, m.level, e.url, e.traceid,
         e.openid, m.text, m.args
  FROM log_messages m
  JOIN log_entries e ON e.id = m.entry_id
  WHERE m.id IN (SELECT value FROM json_each(?))
  ${ORDER}`;

// A file not yet migrated to 0003 (opened read-only by a newer wxlog, which never migrates): the log time
// comes from the entry, every match is sorted.
const ROWS_BEFORE_0003 = `
  SELECT m.id AS messageId, e.id AS entryId, e.appid, coalesce(m.time, e.timestamp) AS time, e.timestamp, m.level,
         e.url, e.traceid, e.openid, m.text, m.args
  FROM log_messages m
  JOIN log_entries e ON e.id = m.entry_id
  WHERE %MATCH%
    AND (@minLevel IS NULL OR m.level >= @minLevel)
    AND (@since IS NULL OR coalesce(m.time, e.timestamp) >= @since)
    AND (@appids IS NULL OR e.appid IN (SELECT value FROM json_each(@appids)))
  ORDER BY time DESC, m.id DESC
  LIMIT @limit`;

/**
 * Messages containing `query.text`, newest first (by when each call was logged). Text of three
 * characters or more goes through the trigram FTS index (Chinese substrings included: `请求失败` finds
 * `网络请求失败`); shorter text falls back to scanning with `LIKE`.
 *
 * Two plans, both choosing ids first and reading only those rows: with few matches (`lookupCap`), each is
 * looked up by rowid and the newest kept; with many, log_messages_newest is walked from the newest end,
 * testing each message, until `limit` have matched. `plan` forces one of them (tests compare the two).
 */
export function searchMessages(db: Database, query: MessageQuery, plan: SearchPlan = 'auto'): MessageHit[] {
  const fts = [...query.text].length >= FTS_MIN_CHARACTERS;
  const matches = fts
    ? {
        sql: 'SELECT rowid FROM log_messages_fts WHERE log_messages_fts MATCH @match',
        params: { match: ftsPhrase(query.text) },
      }
    : {
        sql: "SELECT id FROM log_messages WHERE text LIKE @pattern ESCAPE '\\'",
        params: { pattern: likeContaining(query.text) },
      };
  const current =
    db.prepare("SELECT 1 FROM pragma_table_info('log_messages') WHERE name = 'logged_at'").get() !== undefined;
  const wanted = [...new Set([...(query.appids ?? []), ...(query.appid ? [query.appid] : [])])];
  if (!current) {
    const appids = wanted.length === 0 ? null : JSON.stringify(wanted);
    return db.prepare(ROWS_BEFORE_0003.replace('%MATCH%', `m.id IN (${matches.sql})`)).all({
      ...matches.params,
      minLevel: query.minLevel ?? null,
      since: query.since ?? null,
      appids,
      limit: query.limit,
    }) as MessageHit[];
  }

  // Only the conditions that apply, so that `since` bounds the walk of the index. A file of one app that
  // is among those asked for needs no app condition.
  const only = wanted.length === 0 ? null : singleApp(db);
  const appids = wanted.length === 0 || (only !== null && wanted.includes(only)) ? null : JSON.stringify(wanted);
  const conditions = [
    ...(query.minLevel === undefined ? [] : ['m.level >= @minLevel']),
    ...(query.since === undefined ? [] : ['m.logged_at >= @since']),
  ];
  const params = {
    limit: query.limit,
    ...(query.minLevel === undefined ? {} : { minLevel: query.minLevel }),
    ...(query.since === undefined ? {} : { since: query.since }),
    ...(appids === null ? {} : { appids }),
  };
  const newest = (from: string, match: string, extra: Record<string, unknown>): number[] =>
    db
      .prepare(
        `SELECT m.id FROM ${from} ${appids === null ? '' : APP_JOIN} WHERE ${[match, ...conditions].join(' AND ')} ${ORDER} LIMIT @limit`,
      )
      .pluck()
      .all({ ...params, ...extra }) as number[];

  let ids: number[];
  const cap = plan === 'auto' ? lookupCap(query.limit, maxMessageId(db)) : plan === 'lookup' ? Infinity : 0;
  // At most `cap` matches are read here: all of them when there are few, else only enough to know that.
  // (LIMIT -1 is no limit, for a forced lookup.)
  const few = (
    cap === 0
      ? []
      : db
          .prepare(`${matches.sql} LIMIT @cap`)
          .pluck()
          .all({ ...matches.params, cap: Number.isFinite(cap) ? cap : -1 })
  ) as number[];
  if (few.length < cap) {
    // NOT INDEXED: each id by rowid, never a walk of log_messages_newest that the planner may prefer for ORDER BY.
    ids =
      few.length === 0
        ? []
        : newest('log_messages m NOT INDEXED', 'm.id IN (SELECT value FROM json_each(@ids))', {
            ids: JSON.stringify(few),
          });
  } else if (fts) {
    ids = newest('log_messages m INDEXED BY log_messages_newest', `m.id IN (${matches.sql})`, matches.params);
  } else {
    // LIKE: the text is tested on each message reached from the newest end.
    ids = newest('log_messages m INDEXED BY log_messages_newest', "m.text LIKE @pattern ESCAPE '\\'", matches.params);
  }
  if (ids.length === 0) return [];
  return db.prepare(ROWS).all(JSON.stringify(ids)) as MessageHit[];
}

/** The largest message rowid: about how many messages the file holds, in one index seek. */
function maxMessageId(db: Database): number {
  return (db.prepare('SELECT max(id) AS n FROM log_messages').get() as { n: number | null }).n ?? 0;
}
