import { isDeepStrictEqual } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import type { Simulator } from '../../src/simulator/simulator.js';
import { canonicalJson } from '../../src/store/fingerprint.js';
import type { LogEntry } from '../../src/wechat/types.js';

// What a database must hold after exporting from the simulator, and the comparison. Free of vitest, so
// that the bench's drills (bench/) check exactness the same way the tests do (test/helpers/exact.ts).

// A number the simulator may send as a decimal string (shape drift): its column holds the number.
function num(v: unknown): number | null {
  return typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : ((v as number | undefined) ?? null);
}

/**
 * An entry in the shape of a log_entries row, built from what the simulator served. An entry served
 * without a timestamp is filed under the window that served it, which the served entry cannot tell:
 * both sides then say 'untimed' (its place is checked by the exporter's own tests).
 */
function expectedRow(appid: string, e: LogEntry) {
  return {
    appid,
    traceid: e.traceid ?? null,
    timestamp: e.timestamp === undefined ? ('untimed' as const) : (num(e.timestamp) as number),
    level: num(e.level),
    platform: num(e.platform),
    library_version: e.libraryVersion ?? null,
    client_version: e.clientVersion ?? null,
    openid: e.id ?? null,
    url: e.url ?? null,
    filter_msg: e.filterMsg ?? null,
    msg: e.msg ?? [],
  };
}

export type Row = ReturnType<typeof expectedRow>;

function byTimeThenContent(rows: Row[]): Row[] {
  const keyed = rows.map((r) => ({ r, key: `${String(r.timestamp).padStart(12, '0')} ${canonicalJson(r)}` }));
  return keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((k) => k.r);
}

/** What the simulator serves `appid` for its retention days (`only` those entries), as log_entries rows, sorted. */
export function servedRows(
  sim: Simulator,
  appid = sim.options.appid,
  only: (e: LogEntry) => boolean = () => true,
): Row[] {
  // What went over the wire: JSON, in which -0 is 0.
  const served = (JSON.parse(JSON.stringify(sim.allEntries(appid))) as LogEntry[]).filter(only);
  return byTimeThenContent(served.map((e) => expectedRow(appid, e)));
}

/** Reads log_entries of `appid` back as rows comparable with `servedRows`, sorted the same way. */
export function storedRows(dbPath: string, appid: string): Row[] {
  const db = new BetterSqlite3(dbPath, { readonly: true });
  try {
    const rows = db
      .prepare(
        `SELECT appid, traceid, CASE WHEN window_id IS NULL THEN timestamp ELSE 'untimed' END AS timestamp, level, platform,
                library_version, client_version, openid, url, filter_msg, msg
         FROM log_entries WHERE appid = ?`,
      )
      .all(appid) as (Omit<Row, 'msg'> & { msg: string })[];
    return byTimeThenContent(rows.map((r) => ({ ...r, msg: JSON.parse(r.msg) as Row['msg'] })));
  } finally {
    db.close();
  }
}

/**
 * What is wrong with the file beyond its entries: integrity_check, the full-text index against
 * log_messages, and each message against its entry's msg element (time, level, arguments losslessly,
 * logged_at = its time or else the entry's timestamp). None: an empty list.
 */
export function messageProblems(dbPath: string, appid: string): string[] {
  const problems: string[] = [];
  const db = new BetterSqlite3(dbPath);
  try {
    const integrity = db.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') problems.push(`integrity_check: ${String(integrity)}`);
    try {
      // Throws when the full-text index disagrees with log_messages.
      db.prepare("INSERT INTO log_messages_fts (log_messages_fts) VALUES ('integrity-check')").run();
    } catch (e: unknown) {
      problems.push(`full-text index: ${e instanceof Error ? e.message : String(e)}`);
    }
    const entries = db.prepare('SELECT msg FROM log_entries WHERE appid = ?').pluck().all(appid) as string[];
    const elements = entries.reduce((n, msg) => {
      const parsed = JSON.parse(msg) as unknown;
      return n + (Array.isArray(parsed) ? parsed.length : 1);
    }, 0);
    const messages = db
      .prepare(
        `SELECT e.msg AS msg, e.timestamp, m.seq, m.time, m.level, m.args, m.logged_at AS loggedAt
         FROM log_messages m JOIN log_entries e ON e.id = m.entry_id WHERE e.appid = ?`,
      )
      .all(appid) as {
      msg: string;
      timestamp: number;
      seq: number;
      time: number | null;
      level: number | null;
      args: string;
      loggedAt: number;
    }[];
    if (messages.length !== elements) problems.push(`${messages.length} messages stored, the entries hold ${elements}`);
    const wrong: string[] = [];
    for (const m of messages) {
      const source = (JSON.parse(m.msg) as { time?: number | string; level?: number | string; msg?: unknown }[])[m.seq];
      const time = num(source?.time);
      const want = { time, level: num(source?.level), args: source?.msg ?? [], loggedAt: time ?? m.timestamp };
      const got = { time: m.time, level: m.level, args: JSON.parse(m.args) as unknown, loggedAt: m.loggedAt };
      if (!isDeepStrictEqual(got, want)) wrong.push(`${JSON.stringify(got)} instead of ${JSON.stringify(want)}`);
    }
    if (wrong.length > 0)
      problems.push(`${wrong.length} messages differ from their entry's msg element, e.g. ${wrong[0] ?? ''}`);
  } finally {
    db.close();
  }
  return problems;
}

const COLUMN_FIELDS = {
  traceid: 'traceid',
  timestamp: 'timestamp',
  level: 'level',
  platform: 'platform',
  library_version: 'libraryVersion',
  client_version: 'clientVersion',
  openid: 'id',
  url: 'url',
  filter_msg: 'filterMsg',
} as const;

/**
 * The entries stored for `appid`, each put back together from its columns, `msg` and `extra` into the
 * object the API served (canonical JSON): storage is lossless when these are exactly what was served.
 */
export function reassembledEntries(dbPath: string, appid: string): string[] {
  const db = new BetterSqlite3(dbPath, { readonly: true });
  try {
    const rows = db.prepare(`SELECT *, window_id AS untimedIn FROM log_entries WHERE appid = ?`).all(appid) as Record<
      string,
      unknown
    >[];
    return rows.map((row) => {
      const entry: Record<string, unknown> = {};
      for (const [column, field] of Object.entries(COLUMN_FIELDS)) if (row[column] !== null) entry[field] = row[column];
      if (row['untimedIn'] !== null) delete entry['timestamp'];
      entry['msg'] = JSON.parse(row['msg'] as string) as unknown;
      const extra = row['extra'] === null ? {} : (JSON.parse(row['extra'] as string) as Record<string, unknown>);
      const { $asServed: asServed, ...unknownFields } = extra;
      Object.assign(entry, unknownFields, asServed as Record<string, unknown> | undefined);
      return canonicalJson(entry);
    });
  } finally {
    db.close();
  }
}

/** Served entries missing from `reassembledEntries`, and reassembled ones never served (or twice). */
export function losslessProblems(dbPath: string, sim: Simulator, appid = sim.options.appid): string[] {
  const served = (JSON.parse(JSON.stringify(sim.allEntries(appid))) as unknown[]).map((e) => canonicalJson(e));
  const balance = new Map<string, number>();
  for (const e of served) balance.set(e, (balance.get(e) ?? 0) + 1);
  for (const a of reassembledEntries(dbPath, appid)) balance.set(a, (balance.get(a) ?? 0) - 1);
  const off = [...balance.entries()].filter(([, n]) => n !== 0);
  if (off.length === 0) return [];
  const [example, n] = off[0] ?? ['', 0];
  return [
    `${off.length} entries do not reassemble to what was served (${n > 0 ? 'missing' : 'extra'}: ${example.slice(0, 200)})`,
  ];
}

/**
 * Compares a wxlog database with what the simulator serves: every entry field by field, none missing,
 * none twice, then `messageProblems`. Returns the problems found (none: exact).
 */
export function exactProblems(dbPath: string, sim: Simulator, appid = sim.options.appid): string[] {
  const problems: string[] = [];
  const expected = servedRows(sim, appid).map((r) => canonicalJson(r));
  const actual = storedRows(dbPath, appid).map((r) => canonicalJson(r));
  if (actual.length !== expected.length)
    problems.push(`${actual.length} entries stored, the simulator serves ${expected.length}`);
  // Count how often each row stands on each side: what differs is missing on one side or extra on the other.
  const balance = new Map<string, number>();
  for (const e of expected) balance.set(e, (balance.get(e) ?? 0) + 1);
  for (const a of actual) balance.set(a, (balance.get(a) ?? 0) - 1);
  const missing = [...balance.values()].filter((n) => n > 0).reduce((s, n) => s + n, 0);
  const extra = [...balance.values()].filter((n) => n < 0).reduce((s, n) => s - n, 0);
  if (missing > 0) problems.push(`${missing} served entries are not stored exactly`);
  if (extra > 0) problems.push(`${extra} stored entries are not served (or are stored twice)`);
  return [...problems, ...losslessProblems(dbPath, sim, appid), ...messageProblems(dbPath, appid)];
}

/** Search calls a first export needs at least: per CST day one call, and one per page of entries. */
export function lowerBoundCalls(sim: Simulator, pageSize: number): number {
  return sim.retentionDays().reduce((sum, d) => sum + Math.max(1, Math.ceil(sim.countForDay(d) / pageSize)), 0);
}

/** Entries the simulator serves across its retention days. */
export function servedEntries(sim: Simulator): number {
  return sim.retentionDays().reduce((sum, d) => sum + sim.countForDay(d), 0);
}
