import type { Simulator } from '../../src/simulator/simulator.js';
import { createPool } from '../../src/store/postgres/connection.js';
import { canonicalJson } from '../../src/store/fingerprint.js';
import { servedRows, type Row } from './served-rows.js';

// The PostgreSQL side of test/helpers/served-rows.ts: log_entries of a wxlog database in PostgreSQL read
// back as the rows `servedRows` builds from what the simulator served, and the comparison.

/** Runs `sql` on the database at `url` (one short-lived pool; bigint columns come back as numbers). */
export async function pgRows<T>(url: string, sql: string, values: unknown[] = []): Promise<T[]> {
  const pool = createPool(url, 1);
  try {
    return (await pool.query(sql, values)).rows as T[];
  } finally {
    await pool.end();
  }
}

/** log_entries of `appid`, as `servedRows` rows (msg from its stored text, so exactly as served). */
export async function pgStoredRows(url: string, appid: string): Promise<Row[]> {
  const rows = await pgRows<Omit<Row, 'msg' | 'timestamp'> & { timestamp: number | null; msg: string }>(
    url,
    `SELECT appid, traceid, CASE WHEN window_id IS NULL THEN timestamp END AS timestamp, level, platform,
            library_version, client_version, openid, url, filter_msg, msg::text AS msg
     FROM log_entries WHERE appid = $1`,
    [appid],
  );
  return rows.map((r) => ({
    ...r,
    timestamp: r.timestamp === null ? ('untimed' as const) : r.timestamp,
    msg: JSON.parse(r.msg) as Row['msg'],
  }));
}

/**
 * What differs between the PostgreSQL database at `url` and what the simulator serves `appid`: every entry
 * field by field, none missing, none twice; every entry with one log_messages row per msg element, whose
 * args are that element's msg. None: an empty list.
 */
export async function pgExactProblems(url: string, sim: Simulator, appid: string): Promise<string[]> {
  const problems: string[] = [];
  const expected = servedRows(sim, appid).map((r) => canonicalJson(r));
  const actual = (await pgStoredRows(url, appid)).map((r) => canonicalJson(r));
  if (actual.length !== expected.length)
    problems.push(`${appid}: ${actual.length} entries stored, the simulator serves ${expected.length}`);
  const balance = new Map<string, number>();
  for (const e of expected) balance.set(e, (balance.get(e) ?? 0) + 1);
  for (const a of actual) balance.set(a, (balance.get(a) ?? 0) - 1);
  const missing = [...balance.values()].filter((n) => n > 0).reduce((s, n) => s + n, 0);
  const extra = [...balance.values()].filter((n) => n < 0).reduce((s, n) => s - n, 0);
  if (missing > 0) problems.push(`${appid}: ${missing} served entries are not stored exactly`);
  if (extra > 0) problems.push(`${appid}: ${extra} stored entries are not served (or are stored twice)`);
  const messages = await pgRows<{ bad: number }>(
    url,
    `SELECT count(*) AS bad FROM log_entries e
     WHERE e.appid = $1 AND json_array_length(e.msg) <> (
       SELECT count(*) FROM log_messages m
       WHERE m.entry_id = e.id AND m.entry_timestamp = e.timestamp
         AND m.args::jsonb = (e.msg -> m.seq::int -> 'msg')::jsonb)`,
    [appid],
  );
  if ((messages[0]?.bad ?? 0) > 0)
    problems.push(`${appid}: ${messages[0]?.bad} entries whose messages differ from msg`);
  return problems;
}
