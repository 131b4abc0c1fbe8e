import { afterEach, describe, expect, inject, it } from 'vitest';
import { exitCodeFor } from '../../src/export/app-export.js';
import { ExitCode } from '../../src/export/exit-code.js';
import { runExport, type ExportApi } from '../../src/export/run-export.js';
import { silentLogger } from '../../src/log/logger.js';
import { PgStore } from '../../src/store/postgres/pg-store.js';
import { readServedEntry } from '../../src/wechat/served-entry.js';
import type { SearchParams } from '../../src/wechat/types.js';
import { MIDDAY_CST_MS } from '../helpers/fixed-now.js';
import { createTestDatabase } from '../helpers/postgres-server.js';

// A worker whose lease on an app is taken over stops exporting that app at its next write, writes nothing
// more of it, and says so (docs/postgres.md, "Leases and fencing"): on the real PostgreSQL of the tests.

let store: PgStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

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
    const result = await runExport({
      appid,
      filters: {},
      filterKey: '',
      lookbackDays: 7,
      pageSize: 100,
      api,
      store: pg,
      logger: silentLogger,
      now: () => MIDDAY_CST_MS,
      scenes: false,
      fence: { worker: 'host-a:1', epoch: mine!.epoch },
    });
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
});
