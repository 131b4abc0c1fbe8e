import BetterSqlite3 from 'better-sqlite3';
import { expect } from 'vitest';
import type { Simulator } from '../../src/simulator/simulator.js';
import { canonicalJson } from '../../src/store/fingerprint.js';
import type { LogEntry } from '../../src/wechat/types.js';

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

function sortKey(r: Row): string {
  return `${String(r.timestamp).padStart(12, '0')} ${canonicalJson(r)}`;
}

/** Reads log_entries (and their log_messages) of `appid` back as rows comparable with the simulator's entries. */
export function storedRows(dbPath: string, appid: string): Row[] {
  const db = new BetterSqlite3(dbPath, { readonly: true });
  try {
    const rows = db
      .prepare(
        `SELECT appid, traceid, timestamp, level, platform, library_version, client_version, openid, url, filter_msg, msg
         FROM log_entries WHERE appid = ?`,
      )
      .all(appid) as (Omit<Row, 'msg'> & { msg: string })[];
    return rows.map((r) => ({ ...r, msg: JSON.parse(r.msg) as LogEntry['msg'] & object }));
  } finally {
    db.close();
  }
}

/**
 * The database holds exactly what the simulator serves for its retention days: every entry, field by
 * field, none missing, none twice; each entry's messages are its msg elements; the file is sound.
 */
export function expectExact(dbPath: string, sim: Simulator, appid = sim.options.appid, only: (e: LogEntry) => boolean = () => true): void {
  // What went over the wire: JSON, in which -0 is 0.
  const served = (JSON.parse(JSON.stringify(sim.allEntries())) as LogEntry[]).filter(only);
  const expected = served.map((e) => expectedRow(appid, e)).sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));
  const actual = storedRows(dbPath, appid).sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));
  expect(actual.length).toBe(expected.length);
  expect(actual).toEqual(expected);
  const db = new BetterSqlite3(dbPath);
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    // Throws when the full-text index disagrees with log_messages.
    db.prepare("INSERT INTO log_messages_fts (log_messages_fts) VALUES ('integrity-check')").run();
    // Each entry's messages are its msg elements, arguments losslessly.
    const messages = db
      .prepare('SELECT e.msg AS msg, m.seq, m.time, m.level, m.args FROM log_messages m JOIN log_entries e ON e.id = m.entry_id WHERE e.appid = ?')
      .all(appid) as { msg: string; seq: number; time: number | null; level: number | null; args: string }[];
    const expectedMessages = expected.reduce((n, r) => n + (r.msg?.length ?? 0), 0);
    expect(messages.length).toBe(expectedMessages);
    for (const m of messages) {
      const source = (JSON.parse(m.msg) as { time?: number; level?: number; msg?: unknown[] }[])[m.seq];
      expect({ time: m.time, level: m.level, args: JSON.parse(m.args) as unknown }).toEqual({
        time: source?.time ?? null,
        level: source?.level ?? null,
        args: source?.msg ?? [],
      });
    }
  } finally {
    db.close();
  }
}

/** Expected calls for a first export: per day, one call at least and one per page. */
export function lowerBoundCalls(sim: Simulator, pageSize: number): number {
  return sim.retentionDays().reduce((sum, d) => sum + Math.max(1, Math.ceil(sim.countForDay(d) / pageSize)), 0);
}
