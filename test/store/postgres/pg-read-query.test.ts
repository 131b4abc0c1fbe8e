import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { PgReadStore } from '../../../src/store/postgres/pg-read-store.js';
import { PgStore } from '../../../src/store/postgres/pg-store.js';
import { QueryRefusedError, QuerySqlError, type QueryValue } from '../../../src/store/read-only-query.js';
import { openReadStore, type QueryRows, type ReadStore } from '../../../src/store/read-store.js';
import { Store } from '../../../src/store/store.js';
import { createTestDatabase } from '../../helpers/postgres-server.js';
import { tempDir } from '../../helpers/temp-dir.js';

// `wxlog query` on PostgreSQL reads its rows through a cursor, a batch at a time, inside its READ ONLY
// transaction (src/store/postgres/pg-read-query.ts): complete and in order, as SQLite's iterate() reads them.

async function migratedDatabase(): Promise<string> {
  const url = await createTestDatabase(inject('postgresUrl'), 'wxlog_query');
  await (await PgStore.open(url)).close();
  return url;
}

async function all(rows: AsyncIterable<QueryValue[]>): Promise<QueryValue[][]> {
  const out: QueryValue[][] = [];
  for await (const row of rows) out.push(row);
  return out;
}

async function withStore<T>(store: ReadStore, work: (store: ReadStore) => Promise<T>): Promise<T> {
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

// Both engines' SQL: 2,500 numbered rows with text, a NULL every seventh, in order.
const ROWS = 2500;
const NUMBERED = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS})
  SELECT i, '第 ' || i || ' 行' AS label, CASE WHEN i % 7 = 0 THEN NULL ELSE i * 3 END AS tripled FROM n ORDER BY i`;
const expected = Array.from({ length: ROWS }, (_, k) => {
  const i = k + 1;
  return [i, `第 ${i} 行`, i % 7 === 0 ? null : i * 3];
});

async function sqliteRows(sql: string): Promise<QueryRows & { all: QueryValue[][] }> {
  const path = join(tempDir(), 'wxlog.db');
  Store.open(path).close();
  const store = await openReadStore(path, {
    process: { pid: process.pid, hostname: 'test', isAlive: () => true, now: Date.now },
  });
  return withStore(store, async (s) => {
    const query = await s.query(sql);
    return { ...query, all: await all(query.rows) };
  });
}

// Backends connected to the database `url` names, other than the one asking.
async function backends(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity
       WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    );
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}

// The backends once they come down to `n`: a backend stays listed a moment after its client has gone.
async function backendsSettled(url: string, n: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  let count = await backends(url);
  while (count !== n && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    count = await backends(url);
  }
  return count;
}

describe('wxlog query on PostgreSQL, through a cursor', () => {
  it('reads 2,500 rows in batches of 1,000 (or 7, or exactly 2,500, or more), complete, in order, as SQLite does', async () => {
    const url = await migratedDatabase();
    const sqlite = await sqliteRows(NUMBERED);
    expect(sqlite.columns).toEqual(['i', 'label', 'tripled']);
    expect(sqlite.all).toEqual(expected);
    for (const queryBatchRows of [1000, 7, ROWS, ROWS + 1]) {
      await withStore(await PgReadStore.open(url, { queryBatchRows }), async (store) => {
        const query = await store.query(NUMBERED);
        expect(query.columns).toEqual(sqlite.columns);
        const rows = await all(query.rows);
        expect(rows.length, `batches of ${queryBatchRows}`).toBe(ROWS);
        expect(rows, `batches of ${queryBatchRows}`).toEqual(sqlite.all);
      });
    }
  });

  it('gives the columns of a result with no rows, and of one that is exactly one batch', async () => {
    const url = await migratedDatabase();
    await withStore(await PgReadStore.open(url, { queryBatchRows: 3 }), async (store) => {
      const none = await store.query('SELECT appid, timestamp FROM log_entries');
      expect(none.columns).toEqual(['appid', 'timestamp']);
      expect(await all(none.rows)).toEqual([]);
      const three = await store.query('SELECT i FROM generate_series(1, 3) AS g(i)');
      expect(three.columns).toEqual(['i']);
      expect(await all(three.rows)).toEqual([[1], [2], [3]]);
    });
  });

  it('holds one batch at a time: the first 1,000 rows arrive before the server computes row 1,001, which fails', async () => {
    const url = await migratedDatabase();
    // Loaded whole, the statement would fail before giving any row.
    const sql = 'SELECT CASE WHEN i <= 1000 THEN i ELSE 1 / (i - i) END AS i FROM generate_series(1, 2500) AS g(i)';
    await withStore(await PgReadStore.open(url), async (store) => {
      const query = await store.query(sql);
      const seen: QueryValue[][] = [];
      const reading = (async () => {
        for await (const row of query.rows) seen.push(row);
      })();
      await expect(reading).rejects.toThrow(QuerySqlError);
      await expect(reading).rejects.toThrow(/^division by zero$/);
      expect(seen).toEqual(Array.from({ length: 1000 }, (_, k) => [k + 1]));
    });
  });

  it('refuses a write the statement only attempts past the first batch, and the sequence is untouched', async () => {
    const url = await migratedDatabase();
    const sql = `SELECT CASE WHEN i <= 1000 THEN i ELSE nextval('log_entries_id_seq') END AS i
      FROM generate_series(1, 2500) AS g(i)`;
    await withStore(await PgReadStore.open(url), async (store) => {
      const query = await store.query(sql);
      const reading = all(query.rows);
      await expect(reading).rejects.toThrow(QueryRefusedError);
      await expect(reading).rejects.toThrow(
        /^query is read-only: cannot execute nextval\(\) in a read-only transaction; statements that change the database are refused$/,
      );
      const sequence = await all((await store.query('SELECT is_called FROM log_entries_id_seq')).rows);
      expect(sequence).toEqual([['false']]);
    });
  });

  it('refuses a write and bad SQL before any row, with the messages of before', async () => {
    const url = await migratedDatabase();
    await withStore(await PgReadStore.open(url), async (store) => {
      await expect(store.query("INSERT INTO state (key, value, updated_at) VALUES ('k', 'v', 1)")).rejects.toThrow(
        /^query is read-only: cannot execute INSERT in a read-only transaction; statements that change the database are refused$/,
      );
      await expect(store.query('SELECT 1; SELECT 2')).rejects.toThrow(
        /^query takes a single SQL statement; run the others separately$/,
      );
      await expect(store.query('SELECT nope FROM nowhere')).rejects.toThrow(/^relation "nowhere" does not exist$/);
      // The store goes on answering after each.
      expect(await all((await store.query('SELECT 1 AS one')).rows)).toEqual([[1]]);
    });
  });

  it('answers SHOW, EXPLAIN and statements without rows, as before the cursor', async () => {
    const url = await migratedDatabase();
    await withStore(await PgReadStore.open(url), async (store) => {
      const show = await store.query('SHOW transaction_read_only');
      expect(show.columns).toEqual(['transaction_read_only']);
      expect(await all(show.rows)).toEqual([['on']]);
      const explain = await store.query('EXPLAIN SELECT * FROM log_entries');
      expect(explain.columns).toEqual(['QUERY PLAN']);
      expect((await all(explain.rows)).length).toBeGreaterThan(0);
      const set = await store.query("SET application_name = 'wxlog-test'");
      expect(set.columns).toEqual([]);
      expect(await all(set.rows)).toEqual([]);
    });
  });

  it('ends a query half read whose connection the server cut, without waiting for an answer', async () => {
    const url = await migratedDatabase();
    const store = await PgReadStore.open(url, { queryBatchRows: 10 });
    try {
      const query = await store.query('SELECT generate_series(1, 100000000) AS cut_half_way');
      const iterator = query.rows[Symbol.asyncIterator]();
      expect((await iterator.next()).value).toEqual([1]);
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        const { rows } = await admin.query<{ cut: boolean }>(
          `SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity
           WHERE query LIKE '%AS cut_half_way' AND pid <> pg_backend_pid()`,
        );
        expect(rows).toEqual([{ cut: true }]);
      } finally {
        await admin.end();
      }
      await iterator.return?.(undefined);
    } finally {
      await store.close();
    }
    expect(await backendsSettled(url, 0)).toBe(0);
  }, 20_000);

  it('ends a query left half read, or never read, with its connection, when the store closes', async () => {
    const url = await migratedDatabase();
    // A hundred million rows: loaded whole, this test would run out of time (or memory) long before the end.
    const huge = 'SELECT generate_series(1, 100000000) AS i';
    const store = await PgReadStore.open(url, { queryBatchRows: 10 });
    const half = await store.query(huge);
    const firsts: QueryValue[][] = [];
    for await (const row of half.rows) {
      firsts.push(row);
      if (firsts.length === 25) break;
    }
    expect(firsts).toEqual(Array.from({ length: 25 }, (_, k) => [k + 1]));
    const unread = await store.query(huge);
    expect(unread.columns).toEqual(['i']);
    // The unread query's only: the half-read one took the connection the store had opened, and ended it at
    // the break.
    expect(await backendsSettled(url, 1)).toBe(1);
    await store.close();
    expect(await backendsSettled(url, 0)).toBe(0);
  }, 20_000);
});
