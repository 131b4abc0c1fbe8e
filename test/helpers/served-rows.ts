import { isDeepStrictEqual } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import type { Simulator } from '../../src/simulator/simulator.js';
import { canonicalJson } from '../../src/store/fingerprint.js';
import type { LogEntry } from '../../src/wechat/types.js';

// What a database must hold after exporting from the simulator, and the comparison. Free of vitest, so
// that the bench's drills (bench/) check exactness the same way the tests do (test/helpers/exact.ts).

/** An entry in the shape of a log_entries row, built from what the simulator served. */
function expectedRow(appid: string, e: LogEntry) {
  return {
    appid,
    traceid: e.traceid ?? null,
    timestamp: e.timestamp,
    level: e.level ?? null,
    platform: e.platform ?? null,
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

/** What the simulator serves for its retention days (`only` those entries), as log_entries rows, sorted. */
export function servedRows(sim: Simulator, appid = sim.options.appid, only: (e: LogEntry) => boolean = () => true): Row[] {
  // What went over the wire: JSON, in which -0 is 0.
  const served = (JSON.parse(JSON.stringify(sim.allEntries())) as LogEntry[]).filter(only);
  return byTimeThenContent(served.map((e) => expectedRow(appid, e)));
}

/** Reads log_entries of `appid` back as rows comparable with `servedRows`, sorted the same way. */
export function storedRows(dbPath: string, appid: string): Row[] {
  const db = new BetterSqlite3(dbPath, { readonly: true });
  try {
    const rows = db
      .prepare(
        `SELECT appid, traceid, timestamp, level, platform, library_version, client_version, openid, url, filter_msg, msg
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
    const elements = entries.reduce((n, msg) => n + (JSON.parse(msg) as unknown[]).length, 0);
    const messages = db
      .prepare(
        `SELECT e.msg AS msg, e.timestamp, m.seq, m.time, m.level, m.args, m.logged_at AS loggedAt
         FROM log_messages m JOIN log_entries e ON e.id = m.entry_id WHERE e.appid = ?`,
      )
      .all(appid) as { msg: string; timestamp: number; seq: number; time: number | null; level: number | null; args: string; loggedAt: number }[];
    if (messages.length !== elements) problems.push(`${messages.length} messages stored, the entries hold ${elements}`);
    const wrong: string[] = [];
    for (const m of messages) {
      const source = (JSON.parse(m.msg) as { time?: number; level?: number; msg?: unknown[] }[])[m.seq];
      const want = { time: source?.time ?? null, level: source?.level ?? null, args: source?.msg ?? [], loggedAt: source?.time ?? m.timestamp };
      const got = { time: m.time, level: m.level, args: JSON.parse(m.args) as unknown, loggedAt: m.loggedAt };
      if (!isDeepStrictEqual(got, want)) wrong.push(`${JSON.stringify(got)} instead of ${JSON.stringify(want)}`);
    }
    if (wrong.length > 0) problems.push(`${wrong.length} messages differ from their entry's msg element, e.g. ${wrong[0] ?? ''}`);
  } finally {
    db.close();
  }
  return problems;
}

/**
 * Compares a wxlog database with what the simulator serves: every entry field by field, none missing,
 * none twice, then `messageProblems`. Returns the problems found (none: exact).
 */
export function exactProblems(dbPath: string, sim: Simulator, appid = sim.options.appid): string[] {
  const problems: string[] = [];
  const expected = servedRows(sim, appid).map((r) => canonicalJson(r));
  const actual = storedRows(dbPath, appid).map((r) => canonicalJson(r));
  if (actual.length !== expected.length) problems.push(`${actual.length} entries stored, the simulator serves ${expected.length}`);
  // Count how often each row stands on each side: what differs is missing on one side or extra on the other.
  const balance = new Map<string, number>();
  for (const e of expected) balance.set(e, (balance.get(e) ?? 0) + 1);
  for (const a of actual) balance.set(a, (balance.get(a) ?? 0) - 1);
  const missing = [...balance.values()].filter((n) => n > 0).reduce((s, n) => s + n, 0);
  const extra = [...balance.values()].filter((n) => n < 0).reduce((s, n) => s - n, 0);
  if (missing > 0) problems.push(`${missing} served entries are not stored exactly`);
  if (extra > 0) problems.push(`${extra} stored entries are not served (or are stored twice)`);
  return [...problems, ...messageProblems(dbPath, appid)];
}

/** Search calls a first export needs at least: per CST day one call, and one per page of entries. */
export function lowerBoundCalls(sim: Simulator, pageSize: number): number {
  return sim.retentionDays().reduce((sum, d) => sum + Math.max(1, Math.ceil(sim.countForDay(d) / pageSize)), 0);
}

/** Entries the simulator serves across its retention days. */
export function servedEntries(sim: Simulator): number {
  return sim.retentionDays().reduce((sum, d) => sum + sim.countForDay(d), 0);
}
