import { describe, expect, it } from 'vitest';
import { planRetention, RetentionBoundary } from '../../src/export/retention.js';
import { runExport, type ExportApi } from '../../src/export/run-export.js';
import { silentLogger } from '../../src/log/logger.js';
import { Store } from '../../src/store/store.js';
import { WechatError } from '../../src/wechat/errors.js';
import { AsyncSqliteStore } from '../../src/store/sqlite/async-sqlite-store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { MIDDAY_CST_DAY, MIDDAY_CST_MS } from '../helpers/fixed-now.js';

const DAYS = ['20261116', '20261117', '20261118', '20261119', '20261120', '20261121', '20261122'];

describe('planRetention', () => {
  it('reads every day while nothing was refused', () => {
    expect(planRetention(DAYS, undefined, '20261122')).toEqual({ skip: [], probe: undefined, read: DAYS });
  });

  it('skips the refused day and every older one on the CST day they were refused', () => {
    expect(planRetention(DAYS, { refused: '20261119', on: '20261122' }, '20261122')).toEqual({
      skip: DAYS.slice(0, 4),
      probe: undefined,
      read: DAYS.slice(4),
    });
  });

  it('asks the newest refused day once more on a later CST day', () => {
    expect(planRetention(DAYS, { refused: '20261119', on: '20261121' }, '20261122')).toEqual({
      skip: DAYS.slice(0, 3),
      probe: '20261119',
      read: DAYS.slice(4),
    });
  });
});

describe('RetentionBoundary', () => {
  it('only moves forward as days are refused, and forgets itself when an older day is served', async () => {
    const store = new AsyncSqliteStore(Store.open(`${tempDir()}/wxlog.db`));
    const { state } = store;
    const b = await RetentionBoundary.load(state, 'wxa', () => 0);
    await b.refused('20261118', '20261122');
    await b.refused('20261116', '20261122');
    expect(b.newestRefused).toBe('20261118');
    expect((await RetentionBoundary.load(state, 'wxa', () => 0)).newestRefused).toBe('20261118');
    expect((await RetentionBoundary.load(state, 'wxb', () => 0)).newestRefused).toBeUndefined();
    await b.served('20261120');
    expect(b.newestRefused).toBe('20261118');
    await b.served('20261118');
    expect(b.newestRefused).toBeUndefined();
    expect((await RetentionBoundary.load(state, 'wxa', () => 0)).newestRefused).toBeUndefined();
    await store.close();
  });
});

describe('runExport and refusals that contradict retention', () => {
  // The real server is in the variant tests; here an API that refuses chosen dates, to test the decision.
  const now = MIDDAY_CST_MS;
  const today = MIDDAY_CST_DAY;
  function api(refuse: (date: string) => boolean): ExportApi {
    return {
      searchLogs: async (params) => {
        if (refuse(params.date))
          throw new WechatError('userlog_search: parameters refused: errcode 200002', {
            kind: 'params',
            api: 'search',
            errcode: 200002,
          });
        return { list: [], total: 0, unexpected: 0 };
      },
      getSceneList: async () => [],
    };
  }
  async function run(refuse: (date: string) => boolean, path = `${tempDir()}/wxlog.db`) {
    const store = new AsyncSqliteStore(Store.open(path));
    try {
      return await runExport({
        appid: 'wxa',
        filters: {},
        filterKey: '',
        lookbackDays: 7,
        pageSize: 100,
        api: api(refuse),
        store,
        logger: silentLogger,
        now: () => now,
        scenes: false,
      });
    } finally {
      await store.close();
    }
  }

  it('records the oldest refused days as unavailable, and the run as complete', async () => {
    const result = await run((d) => d < '20261119');
    expect(result.daysUnavailable).toBe(3);
    expect(result.windowsIncomplete).toBe(0);
    expect(result.errors).toEqual([]);
  });

  it('never takes today for out of retention: a refusal of it leaves the day incomplete', async () => {
    const result = await run((d) => d === today);
    expect(result.daysUnavailable).toBe(0);
    expect(result.days.find((d) => d.date === today)?.windowsIncomplete).toBe(1);
    expect(result.errors.join()).toMatch(/today is always served/);
  });

  it('takes a day refused while an older one was served for a passing refusal', async () => {
    const path = `${tempDir()}/wxlog.db`;
    const result = await run((d) => d === '20261120', path);
    expect(result.daysUnavailable).toBe(0);
    expect(result.days.find((d) => d.date === '20261120')?.windowsIncomplete).toBe(1);
    expect(result.errors.join()).toMatch(/refused although an older day was served/);
    // No boundary was kept: the next run reads every day, and completes.
    const next = await run(() => false, path);
    expect(next.windowsIncomplete).toBe(0);
    expect(next.daysUnavailable).toBe(0);
  });
});
