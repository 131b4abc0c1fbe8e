import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { cstMonthStart, PgStore } from '../../../src/store/postgres/pg-store.js';
import { readServedEntry } from '../../../src/wechat/served-entry.js';
import { createTestDatabase } from '../../helpers/postgres-server.js';
import { freshAppid, postgresTestDatabase } from './engines.js';

const served = (entries: readonly object[]) => entries.map((e) => readServedEntry(JSON.parse(JSON.stringify(e))));

// 2025-11-30 23:59:59 and 2025-12-01 00:00:00 in China Standard Time: one second apart, two CST months.
const LAST_OF_NOVEMBER = Date.UTC(2025, 10, 30, 15, 59, 59) / 1000;
const FIRST_OF_DECEMBER = LAST_OF_NOVEMBER + 1;

describe('postgres partitions', () => {
  it('files entries of two CST months into two partitions, and the unique key still holds', async () => {
    const store = await PgStore.open(await postgresTestDatabase());
    try {
      const appid = freshAppid();
      const page = served([
        { timestamp: LAST_OF_NOVEMBER, traceid: 't', msg: [{ time: LAST_OF_NOVEMBER, level: 2, msg: ['十一月'] }] },
        { timestamp: FIRST_OF_DECEMBER, traceid: 't', msg: [{ time: FIRST_OF_DECEMBER, level: 2, msg: ['十二月'] }] },
      ]);
      expect(await store.savePage(appid, '', page, 1)).toEqual({ inserted: 2, seen: 2 });
      const { rows } = await store.pool.query<{ part: string; n: number }>(
        `SELECT tableoid::regclass::text AS part, count(*) AS n FROM log_entries WHERE appid = $1 GROUP BY 1 ORDER BY 1`,
        [appid],
      );
      expect(rows).toEqual([
        { part: 'log_entries_p202511', n: 1 },
        { part: 'log_entries_p202512', n: 1 },
      ]);
      const messages = await store.pool.query<{ part: string }>(
        `SELECT m.tableoid::regclass::text AS part FROM log_messages m
         JOIN log_entries e ON e.timestamp = m.entry_timestamp AND e.id = m.entry_id WHERE e.appid = $1 ORDER BY 1`,
        [appid],
      );
      expect(messages.rows.map((r) => r.part)).toEqual(['log_messages_p202511', 'log_messages_p202512']);
      // Saved again, by a store that has not seen these months yet: nothing twice.
      const second = await PgStore.open(await postgresTestDatabase());
      try {
        expect(await second.savePage(appid, '', page, 2)).toEqual({ inserted: 0, seen: 2 });
      } finally {
        await second.close();
      }
      const count = await store.pool.query<{ n: number }>('SELECT count(*) AS n FROM log_entries WHERE appid = $1', [
        appid,
      ]);
      expect(count.rows[0]!.n).toBe(2);
      // The identity is enforced by the database, not only by the writer.
      await expect(
        store.pool.query(
          `INSERT INTO log_entries (appid, timestamp, msg, fingerprint, first_seen_at, last_seen_at)
           SELECT appid, timestamp, msg, fingerprint, 3, 3 FROM log_entries WHERE appid = $1 LIMIT 1`,
          [appid],
        ),
      ).rejects.toThrow(/log_entries_.*identity|duplicate key/);
      const bounds = await store.pool.query<{ b: string }>(
        `SELECT pg_get_expr(c.relpartbound, c.oid) AS b FROM pg_class c WHERE c.relname = 'log_entries_p202512'`,
      );
      expect(bounds.rows[0]!.b).toBe(
        `FOR VALUES FROM ('${FIRST_OF_DECEMBER}') TO ('${cstMonthStart(FIRST_OF_DECEMBER + 40 * 86400)}')`,
      );
    } finally {
      await store.close();
    }
  });

  it("makes next month's partitions ahead, and a new month's page waits at most 2 s behind an open reader", async () => {
    const url = await createTestDatabase(inject('postgresUrl'), 'wxlog_partitions');
    const store = await PgStore.open(url);
    const other = await PgStore.open(url);
    const reader = new pg.Client({ connectionString: url });
    await reader.connect();
    try {
      const appid = freshAppid();
      const at = (ts: number, trace: string) => served([{ timestamp: ts, traceid: trace, msg: [] }]);
      await store.savePage(appid, '', at(LAST_OF_NOVEMBER, 'november'), 1);
      const parts = await store.pool.query<{ name: string }>(
        "SELECT relname AS name FROM pg_class WHERE relkind = 'r' AND relname LIKE 'log_entries_p%' ORDER BY 1",
      );
      expect(parts.rows.map((r) => r.name)).toEqual(['log_entries_p202511', 'log_entries_p202512']);
      // An analyst's query left open (a cursor behind a pager): it holds log_entries for as long as it is open.
      await reader.query('BEGIN READ ONLY');
      await reader.query('SELECT count(*) FROM log_entries');
      // December was made ahead: its first page needs no lock on the parent.
      expect(await other.savePage(appid, '', at(FIRST_OF_DECEMBER, 'december'), 2)).toEqual({ inserted: 1, seen: 1 });
      // A month nobody made: its page gives up after the lock timeout; other pages wait for that long at most.
      const far = Date.UTC(2030, 5, 15) / 1000;
      const began = performance.now();
      const farPage = store.savePage(appid, '', at(far, 'far'), 3).then(
        () => 'stored',
        (e: unknown) => (e as { code?: string }).code,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await other.savePage(appid, '', at(FIRST_OF_DECEMBER + 1, 'december 2'), 4)).toEqual({
        inserted: 1,
        seen: 1,
      });
      expect(await farPage).toBe('55P03');
      expect(performance.now() - began).toBeLessThan(10_000);
      await reader.query('ROLLBACK');
      expect(await store.savePage(appid, '', at(far, 'far'), 5)).toEqual({ inserted: 1, seen: 1 });
    } finally {
      await reader.end();
      await other.close();
      await store.close();
    }
  });

  it('computes CST month starts as the database does', async () => {
    const store = await PgStore.open(await postgresTestDatabase());
    try {
      const instants = [0, LAST_OF_NOVEMBER, FIRST_OF_DECEMBER, Date.UTC(2024, 1, 29, 16) / 1000, 1_900_000_000];
      const { rows } = await store.pool.query<{ m: number }>(
        'SELECT wxlog_cst_month_start(t) AS m FROM unnest($1::bigint[]) WITH ORDINALITY AS u(t, i) ORDER BY i',
        [instants],
      );
      expect(rows.map((r) => r.m)).toEqual(instants.map(cstMonthStart));
      expect(cstMonthStart(FIRST_OF_DECEMBER)).toBe(FIRST_OF_DECEMBER);
      expect(cstMonthStart(LAST_OF_NOVEMBER)).toBe(Date.UTC(2025, 9, 31, 16) / 1000);
    } finally {
      await store.close();
    }
  });

  it('searches Chinese through the trigram index', async () => {
    const store = await PgStore.open(await postgresTestDatabase());
    try {
      const client = await store.pool.connect();
      try {
        await client.query('SET enable_seqscan = off');
        const plan = await client.query<{ 'QUERY PLAN': string }>(
          "EXPLAIN SELECT id FROM log_messages WHERE text ILIKE '%请求失败%'",
        );
        expect(plan.rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(
          /Bitmap Index Scan on log_messages_p\d{6}_text_idx/,
        );
        const trigrams = await client.query<{ n: number }>("SELECT cardinality(show_trgm('请求失败')) AS n");
        expect(trigrams.rows[0]!.n).toBeGreaterThan(0);
      } finally {
        client.release();
      }
    } finally {
      await store.close();
    }
  });
});
