import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { runExport, type ExportApi } from '../../../src/export/run-export.js';
import { silentLogger } from '../../../src/log/logger.js';
import type { AsyncStore } from '../../../src/store/async-store.js';
import { inTransaction } from '../../../src/store/postgres/connection.js';
import { PgStore } from '../../../src/store/postgres/pg-store.js';
import { MIDDAY_CST_DAY, MIDDAY_CST_MS } from '../../helpers/fixed-now.js';
import { createTestDatabase } from '../../helpers/postgres-server.js';
import { freshAppid } from './engines.js';

// A connection the server cuts (a restart, a failover, pg_terminate_backend) fails what was running on it,
// never the worker's process: an 'error' event nobody listens for, or a rejection nobody awaits, would end
// a daemon exporting every other app. Vitest fails a run with either.

let store: PgStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('a PostgreSQL connection lost', () => {
  it('inside a transaction fails that transaction and leaves the pool working', async () => {
    const url = await createTestDatabase(inject('postgresUrl'), 'wxlog_lost');
    store = await PgStore.open(url);
    const marker = `wxlog-lost-${Date.now()}`;
    // Settled as soon as it fails: a rejection handled only later would itself count as unhandled.
    const running = inTransaction(store.pool, (db) => db.query(`SELECT pg_sleep(20) /* ${marker} */`)).then(
      () => undefined,
      (e: unknown) => e,
    );
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      let killed = 0;
      for (let i = 0; i < 200 && killed === 0; i++) {
        const { rowCount } = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()`,
          [`%${marker}%`],
        );
        killed = rowCount ?? 0;
        if (killed === 0) await sleep(25);
      }
      expect(killed).toBe(1);
    } finally {
      await admin.end();
    }
    expect(String(await running)).toMatch(/terminat/i);
    // The 'error' event comes on its own tick: give it time to be unhandled.
    await sleep(200);
    const { rows } = await store.pool.query<{ one: number }>('SELECT 1 AS one');
    expect(rows).toEqual([{ one: 1 }]);
  });

  it("under an older day's last read fails the app's export, never as an unhandled rejection", async () => {
    store = await PgStore.open(await createTestDatabase(inject('postgresUrl'), 'wxlog_lost'));
    const appid = freshAppid();
    const [lease] = await store.leases.tryLease('host-a:1', [appid], 60_000);
    const fenced = store.fencedBy(appid, { worker: lease!.worker, epoch: lease!.epoch });
    // The read of a day's coverage after its reconciliation, for every day but today (the ones queued).
    const windows = new Proxy(fenced.windows, {
      get(target, prop, receiver) {
        if (prop === 'windowsForDays')
          return async (a: string, f: string, first: string, last: string) => {
            if (first !== MIDDAY_CST_DAY) throw new Error('Connection terminated unexpectedly');
            return target.windowsForDays(a, f, first, last);
          };
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const flaky = new Proxy(fenced, {
      get: (target, prop): unknown => (prop === 'windows' ? windows : Reflect.get(target, prop)),
    }) as unknown as AsyncStore;
    const api: ExportApi = {
      searchLogs: () => Promise.resolve({ list: [], total: 0, unexpected: 0 }),
      getSceneList: () => Promise.resolve([]),
    };
    const run = runExport({
      appid,
      filters: {},
      filterKey: '',
      lookbackDays: 3,
      pageSize: 100,
      api,
      store: flaky,
      logger: silentLogger,
      now: () => MIDDAY_CST_MS,
      scenes: false,
      onDayDone: () => undefined,
    });
    await expect(run).rejects.toThrow('Connection terminated unexpectedly');
    await sleep(200);
  });

  it('ended by the server when its transaction sits idle: a stopped worker cannot keep its app from the others', async () => {
    const url = await createTestDatabase(inject('postgresUrl'), 'wxlog_lost');
    store = await PgStore.open(url, { idleInTransactionMs: 300 });
    const other = await PgStore.open(url);
    try {
      const appid = freshAppid();
      const [lease] = await store.leases.tryLease('host-a:1', [appid], 600);
      expect(lease).toBeDefined();
      // A page's transaction holds the lease row FOR SHARE (src/store/postgres/fence.ts); then the worker stops.
      const stopped = inTransaction(store.pool, async (db) => {
        await db.query('SELECT 1 FROM leases WHERE appid = $1 FOR SHARE', [appid]);
        await sleep(1_500);
        await db.query('SELECT 1');
      }).then(
        () => 'committed',
        (e: unknown) => String(e),
      );
      await sleep(900);
      // The lease expired at 600 ms; the server ended the idle session at 300 ms, and its lock with it.
      const taken = await other.leases.tryLease('host-b:1', [appid], 60_000);
      expect(taken.map((l) => l.appid)).toEqual([appid]);
      expect(await stopped).toMatch(/connection|terminat|idle/i);
    } finally {
      await other.close();
    }
  });
});
