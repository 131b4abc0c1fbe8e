import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { searchMessages } from '../../src/store/message-search.js';
import { Store } from '../../src/store/store.js';
import type { JsonValue, LogEntry } from '../../src/wechat/types.js';
import { tempDir } from '../helpers/temp-dir.js';

const APPID = 'wx1234567890abcdef';
const T = Date.parse('2026-11-22T12:40:00+08:00') / 1000;

function entry(timestamp: number, calls: { time?: number; level: number; args: JsonValue[] }[]): LogEntry {
  return { timestamp, level: calls.reduce((l, c) => l | c.level, 0), traceid: `t${timestamp}`, msg: calls.map((c) => ({ ...(c.time === undefined ? {} : { time: c.time }), level: c.level, msg: c.args })) };
}

function open(): Store {
  const store = Store.open(join(tempDir(), 'wxlog.db'));
  store.savePage(APPID, '', [
    entry(T, [{ time: T - 5, level: 2, args: ['开始请求'] }, { time: T, level: 4, args: ['网络请求失败', 404] }]),
    entry(T + 60, [{ level: 8, args: ['支付请求失败', { code: 'E_PAY' }] }]),
    entry(T - 60, [{ time: T - 60, level: 2, args: ['progress 50%_done'] }, { time: T - 59, level: 2, args: ['progress 50 done'] }]),
    entry(T - 120, [{ time: T - 120, level: 4, args: ['quote "here" and NEAR(a b)'] }]),
  ], T + 60);
  return store;
}

describe('searchMessages', () => {
  it('finds substrings through the trigram index, newest first, a message without time at its entry time', () => {
    const store = open();
    const hits = searchMessages(store.db, { text: '请求失败', limit: 10 });
    expect(hits.map((h) => [h.text, h.time])).toEqual([
      ['支付请求失败 {"code":"E_PAY"}', T + 60],
      ['网络请求失败 404', T],
    ]);
    expect(searchMessages(store.db, { text: '请求失败', limit: 10, minLevel: 8 }).map((h) => h.level)).toEqual([8]);
    expect(searchMessages(store.db, { text: '请求', limit: 10, since: T }).map((h) => h.time)).toEqual([T + 60, T]);
    expect(searchMessages(store.db, { text: '请求失败', limit: 1 })).toHaveLength(1);
    expect(searchMessages(store.db, { text: '请求失败', limit: 10, appid: 'wxother' })).toEqual([]);
    store.close();
  });

  it('matches LIKE wildcards and FTS syntax literally', () => {
    const store = open();
    expect(searchMessages(store.db, { text: '%_', limit: 10 }).map((h) => h.text)).toEqual(['progress 50%_done']);
    expect(searchMessages(store.db, { text: '0%', limit: 10 }).map((h) => h.text)).toEqual(['progress 50%_done']);
    expect(searchMessages(store.db, { text: '"here" and NEAR(', limit: 10 })).toHaveLength(1);
    for (const text of ['"', '""', 'a"b OR', 'NEAR(', '*', 'AND', '-x', '^abc', 'col:val']) {
      expect(() => searchMessages(store.db, { text, limit: 10 })).not.toThrow();
    }
    store.close();
  });

  it('searches a file that lacks the search indexes of migration 0002 the same way', () => {
    const store = open();
    const expected = searchMessages(store.db, { text: '请求失败', limit: 10, minLevel: 4 });
    store.db.exec('DROP INDEX log_messages_search_order; DROP INDEX log_entries_search_order');
    expect(searchMessages(store.db, { text: '请求失败', limit: 10, minLevel: 4 })).toEqual(expected);
    expect(expected).toHaveLength(2);
    store.close();
  });
});
