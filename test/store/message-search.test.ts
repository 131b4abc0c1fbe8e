import { savePage } from '../helpers/save-page.js';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { searchMessages, type MessageQuery, type SearchPlan } from '../../src/store/message-search.js';
import { messageText } from '../../src/store/message-text.js';
import { createRng } from '../../src/simulator/prng.js';
import { Store } from '../../src/store/store.js';
import type { JsonValue, LogEntry } from '../../src/wechat/types.js';
import { tempDir } from '../helpers/temp-dir.js';

const APPID = 'wx1234567890abcdef';
const T = Date.parse('2026-11-22T12:40:00+08:00') / 1000;

function entry(timestamp: number, calls: { time?: number; level: number; args: JsonValue[] }[]): LogEntry {
  return {
    timestamp,
    level: calls.reduce((l, c) => l | c.level, 0),
    traceid: `t${timestamp}`,
    msg: calls.map((c) => ({ ...(c.time === undefined ? {} : { time: c.time }), level: c.level, msg: c.args })),
  };
}

function open(path = join(tempDir(), 'wxlog.db')): Store {
  const store = Store.open(path);
  savePage(
    store,
    APPID,
    '',
    [
      entry(T, [
        { time: T - 5, level: 2, args: ['开始请求'] },
        { time: T, level: 4, args: ['网络请求失败', 404] },
      ]),
      entry(T + 60, [{ level: 8, args: ['支付请求失败', { code: 'E_PAY' }] }]),
      entry(T - 60, [
        { time: T - 60, level: 2, args: ['progress 50%_done'] },
        { time: T - 59, level: 2, args: ['progress 50 done'] },
      ]),
      entry(T - 120, [{ time: T - 120, level: 4, args: ['quote "here" and NEAR(a b)'] }]),
    ],
    T + 60,
  );
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

  it('filters by app in a file that holds several, and drops the filter when it holds one', () => {
    const store = open();
    const mine = searchMessages(store.db, { text: '请求失败', limit: 10, appid: APPID });
    expect(mine).toEqual(searchMessages(store.db, { text: '请求失败', limit: 10 }));
    savePage(store, 'wxother', '', [entry(T + 30, [{ time: T + 30, level: 8, args: ['登录请求失败'] }])], T + 60);
    expect(searchMessages(store.db, { text: '请求失败', limit: 10, appid: APPID })).toEqual(mine);
    expect(
      searchMessages(store.db, { text: '请求失败', limit: 10, appid: 'wxother' }).map((h) => [h.appid, h.text, h.time]),
    ).toEqual([['wxother', '登录请求失败', T + 30]]);
    expect(searchMessages(store.db, { text: '请求失败', limit: 10 }).map((h) => h.text)).toEqual([
      '支付请求失败 {"code":"E_PAY"}',
      '登录请求失败',
      '网络请求失败 404',
    ]);
    store.close();
  });

  it("stores each message's log time (its own, else its entry's) and fills it in for a file made before 0003", () => {
    const dir = tempDir();
    const path = join(dir, 'wxlog.db');
    const store = open(path);
    const loggedAt = (): unknown[] =>
      store.db
        .prepare(
          'SELECT m.seq, m.time, e.timestamp, m.logged_at FROM log_messages m JOIN log_entries e ON e.id = m.entry_id ORDER BY m.id',
        )
        .raw()
        .all();
    const stored = loggedAt();
    expect(stored).toHaveLength(6);
    for (const [, time, timestamp, logged] of stored as [number, number | null, number, number][])
      expect(logged).toBe(time ?? timestamp);
    const expected = searchMessages(store.db, { text: '请求失败', limit: 10, minLevel: 4 });
    expect(expected).toHaveLength(2);
    // The file as migration 0002 left it.
    store.db.exec(`DROP INDEX log_messages_newest;
      ALTER TABLE log_messages DROP COLUMN logged_at;
      CREATE INDEX log_messages_search_order ON log_messages (id, time, level, entry_id);
      DELETE FROM schema_migrations WHERE version = 3`);
    store.close();
    // Read-only commands never migrate: they search it as it is.
    const old = openDatabase(path, { readonly: true }).db;
    expect(searchMessages(old, { text: '请求失败', limit: 10, minLevel: 4 })).toEqual(expected);
    expect(searchMessages(old, { text: '请求', limit: 10, since: T }).map((h) => h.time)).toEqual([T + 60, T]);
    old.close();
    const migrated = Store.open(path);
    expect(
      migrated.db
        .prepare(
          'SELECT m.seq, m.time, e.timestamp, m.logged_at FROM log_messages m JOIN log_entries e ON e.id = m.entry_id ORDER BY m.id',
        )
        .raw()
        .all(),
    ).toEqual(stored);
    expect(searchMessages(migrated.db, { text: '请求失败', limit: 10, minLevel: 4 })).toEqual(expected);
    migrated.close();
  });

  it('finds the same newest messages by lookup and by scan as a reference over what was saved, for any filter', () => {
    const rng = createRng(20261122);
    const phrases = ['网络请求失败', '请求成功', 'Timeout ERR', 'timeout', '支付请求失败', '50%_done', 'ab', 'cd"ef'];
    const apps = [APPID, 'wxother'];
    const store = Store.open(join(tempDir(), 'wxlog.db'));
    // What was saved, one row per message: the reference below works from these alone.
    const saved: {
      appid: string;
      traceid: string;
      seq: number;
      loggedAt: number;
      timestamp: number;
      level: number;
      text: string;
    }[] = [];
    for (let i = 0; i < 300; i += 1) {
      const appid = rng.pick(apps);
      const timestamp = T - rng.int(3 * 86_400);
      const calls = Array.from({ length: 1 + rng.int(3) }, () => ({
        // Seconds collide often, so the order among calls of the same second is checked too.
        ...(rng.chance(0.7) ? { time: timestamp + rng.int(5) } : {}),
        level: rng.pick([2, 4, 8]),
        args: [rng.pick(phrases), rng.int(1000)] as JsonValue[],
      }));
      const e = { ...entry(timestamp, calls), traceid: `trace-${i}` };
      savePage(store, appid, '', [e], T);
      calls.forEach((c, seq) =>
        saved.push({
          appid,
          traceid: e.traceid,
          seq,
          loggedAt: c.time ?? timestamp,
          timestamp,
          level: c.level,
          text: messageText(c.args),
        }),
      );
    }
    const ids = new Map(
      (
        store.db
          .prepare('SELECT m.id, e.traceid, m.seq FROM log_messages m JOIN log_entries e ON e.id = m.entry_id')
          .all() as { id: number; traceid: string; seq: number }[]
      ).map((r) => [`${r.traceid}/${r.seq}`, r.id]),
    );
    const reference = (q: MessageQuery): unknown[] =>
      saved
        .filter((m) => m.text.toLowerCase().includes(q.text.toLowerCase()))
        .filter(
          (m) =>
            (q.minLevel === undefined || m.level >= q.minLevel) && (q.since === undefined || m.loggedAt >= q.since),
        )
        .filter((m) => q.appid === undefined || m.appid === q.appid)
        .map((m) => ({ ...m, id: ids.get(`${m.traceid}/${m.seq}`) ?? -1 }))
        .sort((a, b) => b.loggedAt - a.loggedAt || b.id - a.id)
        .slice(0, q.limit)
        .map((m) => [m.id, m.appid, m.traceid, m.loggedAt, m.timestamp, m.level, m.text]);
    let compared = 0;
    for (let i = 0; i < 120; i += 1) {
      const q: MessageQuery = {
        text: rng.pick(['请求失败', '请求', 'timeout', 'ERR', 'ab', '%_', '"ef', '支付请求', 'nothing like it']),
        limit: rng.pick([1, 5, 20, 1000]),
        ...(rng.chance(0.3) ? { minLevel: rng.pick([4, 8]) } : {}),
        ...(rng.chance(0.3) ? { since: T - rng.int(3 * 86_400) } : {}),
        ...(rng.chance(0.4) ? { appid: rng.pick(apps) } : {}),
      };
      const expected = reference(q);
      for (const plan of ['auto', 'lookup', 'scan'] as SearchPlan[]) {
        const hits = searchMessages(store.db, q, plan).map((h) => [
          h.messageId,
          h.appid,
          h.traceid,
          h.time,
          h.timestamp,
          h.level,
          h.text,
        ]);
        expect(hits, `${plan} ${JSON.stringify(q)}`).toEqual(expected);
      }
      compared += expected.length;
    }
    expect(compared).toBeGreaterThan(1000);
    store.close();
  });
});
