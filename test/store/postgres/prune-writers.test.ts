import { afterEach, describe, expect, inject, it } from 'vitest';
import { pgPrune } from '../../../src/store/postgres/pg-prune.js';
import { PgStore } from '../../../src/store/postgres/pg-store.js';
import { cstDayBounds } from '../../../src/wechat/cst-day.js';
import { readServedEntry } from '../../../src/wechat/served-entry.js';
import { createTestDatabase } from '../../helpers/postgres-server.js';

// `wxlog prune` runs from cron while the daemons write (docs/postgres.md, "Partitions"): dropping an old
// month's partitions must neither deadlock with the pages being written nor fail them.

const OLD = cstDayBounds('20250815').begin + 3600;
const CUT = cstDayBounds('20251001').begin;
const NEW = cstDayBounds('20251121').begin + 3600;

const entry = (timestamp: number, traceid: string) =>
  readServedEntry({ timestamp, traceid, level: 2, msg: [{ time: timestamp, level: 2, msg: [traceid] }] });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const stores: PgStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

describe('prune on PostgreSQL while three workers write pages', () => {
  it('drops the old month every time, and every page is stored', async () => {
    const url = await createTestDatabase(inject('postgresUrl'), 'wxlog_prune_writers');
    const seed = await PgStore.open(url);
    stores.push(seed);
    const writers = await Promise.all([1, 2, 3].map(() => PgStore.open(url)));
    stores.push(...writers);
    const failures: string[] = [];
    const written = new Map<string, number>();
    for (let round = 0; round < 4; round++) {
      await seed.savePage('wxseed00000000000', '', [entry(OLD + round, `old${round}`)], 1);
      let stop = false;
      const loops = writers.map(async (store, w) => {
        const appid = `wxwriter0000000${w}`;
        for (let k = 0; !stop; k++) {
          const page = Array.from({ length: 40 }, (_, j) => entry(NEW + j, `r${round}w${w}k${k}j${j}`));
          try {
            await store.savePage(appid, '', page, 1);
            written.set(appid, (written.get(appid) ?? 0) + page.length);
          } catch (e: unknown) {
            failures.push(`page: ${(e as { code?: string }).code} ${String(e)}`);
          }
        }
      });
      await sleep(150);
      try {
        const { dropped } = await pgPrune(seed.pool, CUT);
        // August's, and September's (made ahead by August's page, empty): both end before the cut.
        expect(dropped.sort()).toEqual([
          'log_entries_p202508',
          'log_entries_p202509',
          'log_messages_p202508',
          'log_messages_p202509',
        ]);
      } catch (e: unknown) {
        failures.push(`prune: ${(e as { code?: string }).code} ${String(e)}`);
      }
      await sleep(100);
      stop = true;
      await Promise.all(loops);
    }
    expect(failures).toEqual([]);
    const { rows } = await seed.pool.query<{ appid: string; n: number }>(
      "SELECT appid, count(*) AS n FROM log_entries WHERE appid LIKE 'wxwriter%' GROUP BY appid ORDER BY appid",
    );
    expect(rows).toEqual([...written].sort().map(([appid, n]) => ({ appid, n })));
    const old = await seed.pool.query<{ n: number }>('SELECT count(*) AS n FROM log_entries WHERE timestamp < $1', [
      CUT,
    ]);
    expect(old.rows).toEqual([{ n: 0 }]);
  }, 60_000);
});
