import { isDeepStrictEqual } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import type { Simulator } from '../src/simulator/simulator.js';
import { canonicalJson } from '../src/store/fingerprint.js';
import type { LogEntry } from '../src/wechat/types.js';

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

type Row = ReturnType<typeof expectedRow>;

function keyed(rows: Row[]): string[] {
  return rows.map((r) => `${String(r.timestamp).padStart(12, '0')} ${canonicalJson(r)}`).sort();
}

/**
 * Compares a wxlog database with what the simulator serves for its retention days, as the tests do:
 * every entry field by field, none missing, none twice; each entry's messages are its msg elements,
 * arguments losslessly; integrity_check ok and the full-text index consistent. Returns the problems
 * found (none: exact).
 */
export function exactProblems(dbPath: string, sim: Simulator, appid = sim.options.appid): string[] {
  const problems: string[] = [];
  // What went over the wire: JSON, in which -0 is 0.
  const served = JSON.parse(JSON.stringify(sim.allEntries())) as LogEntry[];
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
    const stored = (
      db
        .prepare(
          `SELECT appid, traceid, timestamp, level, platform, library_version, client_version, openid, url, filter_msg, msg
           FROM log_entries WHERE appid = ?`,
        )
        .all(appid) as (Omit<Row, 'msg'> & { msg: string })[]
    ).map((r) => ({ ...r, msg: JSON.parse(r.msg) as Row['msg'] }));
    const expected = keyed(served.map((e) => expectedRow(appid, e)));
    const actual = keyed(stored);
    if (actual.length !== expected.length) problems.push(`${actual.length} entries stored, the simulator serves ${expected.length}`);
    // Both lists are sorted: walk them together to name what differs.
    let missing = 0;
    let extra = 0;
    for (let i = 0, j = 0; i < expected.length || j < actual.length; ) {
      const e = expected[i];
      const a = actual[j];
      if (e === a) {
        i += 1;
        j += 1;
      } else if (a === undefined || (e !== undefined && e < a)) {
        missing += 1;
        i += 1;
      } else {
        extra += 1;
        j += 1;
      }
    }
    if (missing > 0) problems.push(`${missing} served entries are not stored exactly`);
    if (extra > 0) problems.push(`${extra} stored entries are not served (or are stored twice)`);

    const messages = db
      .prepare('SELECT e.msg AS msg, m.seq, m.time, m.level, m.args FROM log_messages m JOIN log_entries e ON e.id = m.entry_id WHERE e.appid = ?')
      .all(appid) as { msg: string; seq: number; time: number | null; level: number | null; args: string }[];
    const expectedMessages = stored.reduce((n, r) => n + (Array.isArray(r.msg) ? r.msg.length : 0), 0);
    if (messages.length !== expectedMessages) problems.push(`${messages.length} messages stored, the entries hold ${expectedMessages}`);
    let wrongMessages = 0;
    for (const m of messages) {
      const source = (JSON.parse(m.msg) as { time?: number; level?: number; msg?: unknown[] }[])[m.seq];
      const want = { time: source?.time ?? null, level: source?.level ?? null, args: source?.msg ?? [] };
      if (!isDeepStrictEqual({ time: m.time, level: m.level, args: JSON.parse(m.args) as unknown }, want)) wrongMessages += 1;
    }
    if (wrongMessages > 0) problems.push(`${wrongMessages} messages differ from their entry's msg element`);
  } finally {
    db.close();
  }
  return problems;
}

/** Search calls a first export needs at least: per CST day one call, and one per page of entries. */
export function lowerBoundCalls(sim: Simulator, pageSize: number): number {
  return sim.retentionDays().reduce((sum, d) => sum + Math.max(1, Math.ceil(sim.countForDay(d) / pageSize)), 0);
}

/** Entries the simulator serves across its retention days. */
export function servedEntries(sim: Simulator): number {
  return sim.retentionDays().reduce((sum, d) => sum + sim.countForDay(d), 0);
}
