import { savePage } from '../helpers/save-page.js';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countPrunable, pruneEntries, reclaimSpace } from '../../src/store/prune.js';
import { Store } from '../../src/store/store.js';
import type { LogEntry } from '../../src/wechat/types.js';
import { tempDir } from '../helpers/temp-dir.js';

const APPID = 'wx1234567890abcdef';
// 2026-11-20 00:00:00 CST, written out rather than computed by the code under test.
const MIDNIGHT = Date.parse('2026-11-20T00:00:00+08:00') / 1000;

function entry(timestamp: number, text: string): LogEntry {
  return {
    timestamp,
    level: 4,
    url: 'pages/chat/chat',
    traceid: `t${timestamp}`,
    msg: [{ time: timestamp, level: 4, msg: [text, 404] }],
  };
}

function count(store: Store, sql: string): number {
  return (store.db.prepare(sql).get() as { n: number }).n;
}

describe('prune', () => {
  it('deletes exactly the entries before the cut (the last second of the day before goes, midnight stays)', () => {
    const store = Store.open(join(tempDir(), 'wxlog.db'));
    const filterKey = '{"level":4}';
    savePage(
      store,
      APPID,
      '',
      [entry(MIDNIGHT - 86_400, '网络请求失败 old'), entry(MIDNIGHT - 1, '网络请求失败 last')],
      MIDNIGHT,
    );
    savePage(
      store,
      APPID,
      filterKey,
      [entry(MIDNIGHT, '网络请求失败 first'), entry(MIDNIGHT - 1, '网络请求失败 last')],
      MIDNIGHT,
    );
    // The day before the cut, split into two children; and the day of the cut.
    const old = store.windows.dayRoot(APPID, '', '20261119', MIDNIGHT - 86_400, MIDNIGHT - 1);
    store.windows.split(old.id, [MIDNIGHT - 43_201], 2, MIDNIGHT, 'test');
    store.windows.dayRoot(APPID, '', '20261120', MIDNIGHT, MIDNIGHT + 86_399);

    const expected = { entries: 2, messages: 2, ledgerEntries: 1, windows: 3 };
    expect(countPrunable(store.db, MIDNIGHT)).toEqual(expected);
    expect(pruneEntries(store.db, MIDNIGHT)).toEqual(expected);

    expect(store.db.prepare('SELECT timestamp FROM log_entries').all()).toEqual([{ timestamp: MIDNIGHT }]);
    expect(count(store, 'SELECT count(*) AS n FROM log_messages')).toBe(1);
    expect(count(store, 'SELECT count(*) AS n FROM ledger_entries')).toBe(1);
    expect(store.db.prepare('SELECT date FROM windows').all()).toEqual([{ date: '20261120' }]);
    expect(count(store, `SELECT count(*) AS n FROM log_messages_fts WHERE log_messages_fts MATCH '"请求失败"'`)).toBe(
      1,
    );
    expect(count(store, `SELECT count(*) AS n FROM log_messages_fts WHERE log_messages_fts MATCH '"last"'`)).toBe(0);
    store.db.prepare("INSERT INTO log_messages_fts (log_messages_fts, rank) VALUES ('integrity-check', 1)").run();
    store.close();
  });

  it('gives the space back to the file system', () => {
    const path = join(tempDir(), 'wxlog.db');
    const store = Store.open(path);
    const big = Array.from({ length: 300 }, (_, i) => entry(MIDNIGHT - 86_400 + i, `${'日志'.repeat(1000)} ${i}`));
    savePage(store, APPID, '', big, MIDNIGHT);
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const pages = () => store.db.pragma('page_count', { simple: true }) as number;
    const before = pages();
    pruneEntries(store.db, MIDNIGHT);
    expect(pages()).toBe(before);
    reclaimSpace(store.db);
    expect(pages()).toBeLessThan(before / 5);
    expect(store.db.pragma('integrity_check', { simple: true })).toBe('ok');
    store.close();
  });
});
