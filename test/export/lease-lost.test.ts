import { afterEach, describe, expect, inject, it } from 'vitest';
import { exitCodeFor } from '../../src/export/app-export.js';
import { ExitCode } from '../../src/export/exit-code.js';
import { runExport, type ExportApi, type ExportOptions, type ExportResult } from '../../src/export/run-export.js';
import { silentLogger } from '../../src/log/logger.js';
import { PgStore } from '../../src/store/postgres/pg-store.js';
import { WechatError } from '../../src/wechat/errors.js';
import { readServedEntry } from '../../src/wechat/served-entry.js';
import type { SearchParams } from '../../src/wechat/types.js';
import { MIDDAY_CST_DAY, MIDDAY_CST_MS } from '../helpers/fixed-now.js';
import { createTestDatabase } from '../helpers/postgres-server.js';

// A worker whose lease on an app is taken over stops exporting that app at its next write, whether a page,
// the ledger or the state, writes nothing more of it, and says so (docs/postgres.md, "Leases and fencing"):
// on the real PostgreSQL of the tests.

let store: PgStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

/** Exports `appid` at midday CST through `api`, as the worker host-a:1 whose lease had `epoch`. */
function exportAsA(
  pg: PgStore,
  appid: string,
  epoch: number,
  api: ExportApi,
  options: Pick<ExportOptions, 'lookbackDays'> & Partial<ExportOptions>,
): Promise<ExportResult> {
  return runExport({
    appid,
    filters: {},
    filterKey: '',
    pageSize: 100,
    api,
    store: pg.fencedBy(appid, { worker: 'host-a:1', epoch }),
    logger: silentLogger,
    now: () => MIDDAY_CST_MS,
    ...options,
  });
}

describe('an export under a lease that another worker takes over', () => {
  it('stops at the next page write, stores nothing of it, and reports the lease lost', async () => {
    store = await PgStore.open(await createTestDatabase(inject('postgresUrl'), 'wxlog_lease'));
    const pg = store;
    const appid = 'wxleaselost0000001';
    const [mine] = await pg.leases.tryLease('host-a:1', [appid], 60_000);
    expect(mine).toBeDefined();
    const asked: SearchParams[] = [];
    const api: ExportApi = {
      searchLogs: async (params) => {
        asked.push(params);
        if (asked.length === 1) {
          // Another worker takes the app over while this one's first request is out.
          await pg.leases.release(mine!);
          expect(await pg.leases.tryLease('host-b:2', [appid], 60_000)).toHaveLength(1);
        }
        const timestamp = Math.floor(MIDDAY_CST_MS / 1000) - 60;
        return { list: [readServedEntry({ timestamp, traceid: 't', msg: [] })], total: 1, unexpected: 0 };
      },
      getSceneList: async () => [],
    };
    const result = await exportAsA(pg, appid, mine!.epoch, api, { lookbackDays: 7, scenes: false });
    expect(result.leaseLost).toBe(true);
    expect(result.aborted).toBe(false);
    expect(result.errors.join()).toMatch(/lease on wxleaselost0000001 held by host-a:1 .* was lost/);
    expect(exitCodeFor(result)).toBe(ExitCode.Incomplete);
    // The newest day's first page was refused by the fence: nothing of the app was written, and no
    // further request was sent for it.
    const { rows } = await pg.pool.query('SELECT count(*)::int AS n FROM log_entries WHERE appid = $1', [appid]);
    expect(rows[0]).toEqual({ n: 0 });
    expect(asked).toHaveLength(1);
  });

  it('stops at a ledger write too: days refused after the takeover are not marked, and nothing is thrown', async () => {
    store = await PgStore.open(await createTestDatabase(inject('postgresUrl'), 'wxlog_lease_ledger'));
    const pg = store;
    const appid = 'wxleaselost0000002';
    const [mine] = await pg.leases.tryLease('host-a:1', [appid], 60_000);
    const asked: SearchParams[] = [];
    let takeover: Promise<void> | undefined;
    const api: ExportApi = {
      searchLogs: async (params) => {
        asked.push(params);
        // Today is served (empty); the older days are refused (200002), the first refusal right after
        // another worker took the app over: the refusal's markUnavailable is the write that meets the fence.
        if (params.date === MIDDAY_CST_DAY) return { list: [], total: 0, unexpected: 0 };
        // Every older day's refusal waits for the takeover (the two are asked at once).
        takeover ??= (async () => {
          await pg.leases.release(mine!);
          expect(await pg.leases.tryLease('host-b:2', [appid], 60_000)).toHaveLength(1);
        })();
        await takeover;
        throw new WechatError('userlog_search: parameters refused: errcode 200002', {
          kind: 'params',
          api: 'search',
          errcode: 200002,
        });
      },
      getSceneList: async () => [],
    };
    const result = await exportAsA(pg, appid, mine!.epoch, api, {
      lookbackDays: 3,
      scenes: false,
      // Both older days at once, in the run's queue: a throw there would be an unhandled rejection.
      concurrency: 2,
    });
    expect(takeover).toBeDefined();
    expect(result.leaseLost).toBe(true);
    expect(result.errors.filter((e) => e.includes('was lost'))).toHaveLength(1);
    expect(exitCodeFor(result)).toBe(ExitCode.Incomplete);
    expect(result.daysUnavailable).toBe(0);
    // Today was checked under the lease; no older day was marked unavailable nor the boundary kept.
    const { rows } = await pg.pool.query<{ date: string; status: string }>(
      'SELECT date, status FROM windows WHERE appid = $1 ORDER BY date',
      [appid],
    );
    expect(rows.filter((r) => r.date === MIDDAY_CST_DAY)).toEqual([{ date: MIDDAY_CST_DAY, status: 'complete' }]);
    expect(rows.filter((r) => r.status === 'unavailable')).toEqual([]);
    expect(await pg.state.get(`retention:${appid}`)).toBeUndefined();
  });

  it('stops at its very first write when the lease moved before the run began: nothing written, nothing sent', async () => {
    store = await PgStore.open(await createTestDatabase(inject('postgresUrl'), 'wxlog_lease_first'));
    const pg = store;
    const appid = 'wxleaselost0000003';
    const [mine] = await pg.leases.tryLease('host-a:1', [appid], 60_000);
    await pg.leases.release(mine!);
    expect(await pg.leases.tryLease('host-b:2', [appid], 60_000)).toHaveLength(1);
    const asked: SearchParams[] = [];
    const api: ExportApi = {
      searchLogs: async (params) => {
        asked.push(params);
        return { list: [], total: 0, unexpected: 0 };
      },
      getSceneList: async (signal) => {
        signal?.throwIfAborted();
        return [{ value: '1001', name: '主入口' }];
      },
    };
    const result = await exportAsA(pg, appid, mine!.epoch, api, { lookbackDays: 3 });
    expect(result.leaseLost).toBe(true);
    expect(result.aborted).toBe(false);
    expect(exitCodeFor(result)).toBe(ExitCode.Incomplete);
    expect(asked).toEqual([]);
    const counts = await pg.pool.query<{ windows: number; scenes: number; state: number }>(
      `SELECT (SELECT count(*) FROM windows WHERE appid = $1)::int AS windows,
              (SELECT count(*) FROM scenes WHERE appid = $1)::int AS scenes,
              (SELECT count(*) FROM state WHERE key LIKE '%' || $1)::int AS state`,
      [appid],
    );
    expect(counts.rows[0]).toEqual({ windows: 0, scenes: 0, state: 0 });
  });
});
