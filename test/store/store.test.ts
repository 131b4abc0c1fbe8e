import { savePage } from '../helpers/save-page.js';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { defaultMigrationsDir, loadMigrations } from '../../src/store/migrator.js';
import { Store } from '../../src/store/store.js';
import type { LogEntry } from '../../src/wechat/types.js';
import { tempDir } from '../helpers/temp-dir.js';

const APPID = 'wx1234567890abcdef';

function entry(overrides: Partial<LogEntry> = {}): LogEntry {
  return {
    level: 6,
    platform: 1,
    libraryVersion: '3.4.1',
    clientVersion: '8.0.50',
    id: 'oXu034-Kl5Et2U0vsexKDsFaon0Q',
    timestamp: 1_763_700_000,
    url: 'pages/chat/chat',
    traceid: 'oXu03410akoNqfsrMMswk6Zwwl1U_1570852656',
    filterMsg: 'NetworkExceed08',
    msg: [
      { time: 1_763_699_999, level: 2, msg: ['hello world'] },
      {
        time: 1_763_700_000,
        level: 4,
        msg: ['网络请求失败', 404, true, null, { code: 'E_NET', detail: ['超时', 1.5] }, [1, [2]]],
      },
    ],
    ...overrides,
  };
}

describe('store', () => {
  it('applies every migration once, records it, and uses WAL', () => {
    const path = join(tempDir(), 'nested', 'wxlog.db');
    const first = Store.open(path);
    expect(first.migrations.map((m) => m.status)).toEqual(loadMigrations().map(() => 'applied'));
    expect(first.db.pragma('journal_mode', { simple: true })).toBe('wal');
    first.close();
    const second = Store.open(path);
    expect(second.migrations.map((m) => m.status)).toEqual(loadMigrations().map(() => 'already-applied'));
    const rows = second.db.prepare('SELECT version, name FROM schema_migrations').all();
    expect(rows).toHaveLength(loadMigrations().length);
    second.close();
  });

  it('refuses a database whose schema is newer than the program', () => {
    const dir = tempDir();
    const migrations = join(dir, 'migrations');
    mkdirSync(migrations);
    for (const m of loadMigrations())
      copyFileSync(
        join(defaultMigrationsDir, `${String(m.version).padStart(4, '0')}_${m.name}.sql`),
        join(migrations, `${String(m.version).padStart(4, '0')}_${m.name}.sql`),
      );
    const next = String(loadMigrations().length + 1).padStart(4, '0');
    writeFileSync(join(migrations, `${next}_future.sql`), 'CREATE TABLE future (x INTEGER);');
    const path = join(dir, 'wxlog.db');
    Store.open(path, { migrationsDir: migrations }).close();
    expect(() => Store.open(path)).toThrow(/newer than this wxlog/);
    expect(() => openDatabase(path, { readonly: true })).toThrow(/newer than this wxlog/);
  });

  it('keeps two different entries sharing traceid and timestamp, and stores a re-read entry once', () => {
    const store = Store.open(join(tempDir(), 'wxlog.db'));
    const a = entry();
    const b = entry({ msg: [{ time: 1, level: 8, msg: ['another entry, same traceid and second'] }], level: 8 });
    expect(savePage(store, APPID, '', [a, b], 100)).toEqual({ inserted: 2, seen: 2 });
    // Same content with fields in another order is the same entry.
    const reordered = Object.fromEntries(Object.entries(a).reverse()) as LogEntry;
    expect(savePage(store, APPID, '', [reordered, b], 200)).toEqual({ inserted: 0, seen: 2 });
    const rows = store.db.prepare('SELECT first_seen_at, last_seen_at FROM log_entries ORDER BY id').all();
    expect(rows).toEqual([
      { first_seen_at: 100, last_seen_at: 200 },
      { first_seen_at: 100, last_seen_at: 200 },
    ]);
    expect(store.db.prepare('SELECT count(*) AS n FROM log_messages').get()).toEqual({ n: 3 });
    store.close();
  });

  it('stores every field, msg losslessly, absent fields as NULL', () => {
    const store = Store.open(join(tempDir(), 'wxlog.db'));
    const full = entry({ newField: { x: 1 } });
    const bare: LogEntry = { timestamp: 1_763_700_001, msg: [{ msg: [0, false, '', { '😀': 'emoji 表情' }] }] };
    savePage(store, APPID, '', [full, bare], 1);
    const rows = store.db.prepare('SELECT * FROM log_entries ORDER BY timestamp').all() as Record<string, unknown>[];
    expect(rows[0]).toMatchObject({
      appid: APPID,
      traceid: full.traceid,
      timestamp: full.timestamp,
      level: full.level,
      platform: full.platform,
      library_version: full.libraryVersion,
      client_version: full.clientVersion,
      openid: full.id,
      url: full.url,
      filter_msg: full.filterMsg,
      extra: JSON.stringify({ newField: { x: 1 } }),
    });
    expect(JSON.parse(rows[0]?.msg as string)).toEqual(full.msg);
    expect(rows[1]).toMatchObject({
      traceid: null,
      level: null,
      platform: null,
      library_version: null,
      client_version: null,
      openid: null,
      url: null,
      filter_msg: null,
      extra: null,
    });
    expect(JSON.parse(rows[1]?.msg as string)).toEqual(bare.msg);
    const messages = store.db
      .prepare('SELECT entry_id, seq, time, level, args, text FROM log_messages ORDER BY id')
      .all() as { args: string; text: string; time: number | null }[];
    expect(messages.map((m) => JSON.parse(m.args) as unknown)).toEqual(
      [...(full.msg ?? []), ...(bare.msg ?? [])].map((m) => m.msg),
    );
    expect(messages[1]?.text).toBe('网络请求失败 404 true null {"code":"E_NET","detail":["超时",1.5]} [1,[2]]');
    expect(messages[2]?.time).toBeNull();
    store.close();
  });

  it('finds Chinese substrings with the trigram index and views CST times', () => {
    const store = Store.open(join(tempDir(), 'wxlog.db'));
    savePage(store, APPID, '', [entry()], 1);
    const hits = store.db.prepare("SELECT text FROM log_messages_fts WHERE log_messages_fts MATCH '请求失败'").all();
    expect(hits).toHaveLength(1);
    // 1763700000 is 2025-11-21 04:40:00 UTC, 12:40:00 in China.
    const line = store.db
      .prepare('SELECT entry_time_cst, level_name, platform_name FROM log_lines WHERE seq = 1')
      .get();
    expect(line).toEqual({ entry_time_cst: '2025-11-21 12:40:00', level_name: 'warn', platform_name: 'android' });
    store.close();
  });

  it('opens read-only without writing and refuses writes', () => {
    const path = join(tempDir(), 'wxlog.db');
    Store.open(path).close();
    const { db } = openDatabase(path, { readonly: true });
    expect(() => db.exec('DELETE FROM log_entries')).toThrow(/readonly/);
    db.close();
  });

  it('files an entry served without a timestamp under the narrowest window that served it, never twice', () => {
    const store = Store.open(join(tempDir(), 'wxlog.db'));
    const { timestamp: _, ...untimed } = entry();
    const root = store.windows.dayRoot(APPID, '', '20251121', 1_763_654_400, 1_763_740_799);
    expect(() => savePage(store, APPID, '', [untimed], 1)).toThrow(/window it was served for/);
    expect(savePage(store, APPID, '', [untimed], 1, { window: root })).toEqual({ inserted: 1, seen: 1 });
    const [lower, upper] = store.windows.split(root.id, [1_763_700_000], null, 1, 'test');
    const where = () => store.db.prepare('SELECT timestamp, window_id AS w FROM log_entries').all();
    const loggedAt = () => store.db.prepare('SELECT logged_at FROM log_messages ORDER BY seq').pluck().all();
    expect(where()).toEqual([{ timestamp: root.begintime, w: root.id }]);
    // Served again by the upper half: moved there, with its messages' search time.
    expect(savePage(store, APPID, '', [untimed], 2, { window: upper! })).toEqual({ inserted: 0, seen: 1 });
    expect(where()).toEqual([{ timestamp: upper!.begintime, w: upper!.id }]);
    expect(loggedAt()).toEqual([1_763_699_999, 1_763_700_000]);
    // Served again by the whole day (wider) or its other half: it stays where it is.
    savePage(store, APPID, '', [untimed], 3, { window: root });
    savePage(store, APPID, '', [untimed], 3, { window: lower! });
    expect(where()).toEqual([{ timestamp: upper!.begintime, w: upper!.id }]);
    expect(store.windows.countStored(APPID, '', upper!.begintime, upper!.endtime)).toBe(1);
    expect(store.windows.countStored(APPID, '', lower!.begintime, lower!.endtime)).toBe(0);
    store.close();
  });
});
