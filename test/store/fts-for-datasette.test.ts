import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultMigrationsDir, loadMigrations } from '../../src/store/migrator.js';
import { Store } from '../../src/store/store.js';
import { runCli } from '../cli/run-cli.js';
import { EntryWriter } from '../../src/store/entry-writer.js';
import { savePage } from '../helpers/save-page.js';
import { openDatabase } from '../../src/store/database.js';
import { readServedEntry } from '../../src/wechat/served-entry.js';
import { tempDir } from '../helpers/temp-dir.js';

const APPID = 'wx1234567890abcdef';

// Datasette's detect_fts (datasette/utils/__init__.py), run as it runs it: a table gets a search box
// when an FTS table's SQL names it as content="table" or content=[table].
const DATASETTE_DETECT_FTS = `
  SELECT name FROM sqlite_master
  WHERE rootpage = 0
    AND (sql LIKE '%VIRTUAL TABLE%USING FTS%content="log_messages"%'
      OR sql LIKE '%VIRTUAL TABLE%USING FTS%content=[log_messages]%')`;

function served(i: number, text: string) {
  return {
    level: 4,
    platform: 1,
    libraryVersion: '2.8.3',
    clientVersion: '7.0.7',
    id: 'oXu034-Kl5Et2U0vsexKDsFaon0Q',
    timestamp: 1_763_700_000 + i,
    url: 'pages/chat/chat',
    traceid: `trace_${i}`,
    filterMsg: '',
    msg: [{ time: 1_763_700_000 + i, level: 4, msg: [text, i] }],
  };
}

/** A database as 0004 left it, holding messages, then opened by this version (which applies 0005). */
function migratedFrom0004(): { path: string; store: Store } {
  const dir = tempDir();
  const old = join(dir, 'migrations-0004');
  mkdirSync(old);
  for (const m of loadMigrations().filter((m) => m.version <= 4)) {
    const file = `${String(m.version).padStart(4, '0')}_${m.name}.sql`;
    copyFileSync(join(defaultMigrationsDir, file), join(old, file));
  }
  const path = join(dir, 'wxlog.db');
  // The schema of 0004 and only the entry writer: the Store of today prepares statements on later columns.
  const { db: before } = openDatabase(path, { migrationsDir: old });
  const entries = [served(1, '网络请求失败'), served(2, '页面加载完成'), served(3, '支付请求失败了')];
  new EntryWriter(before).save(APPID, entries.map(readServedEntry), 1, { id: 0, begintime: 0, endtime: 0 }, '');
  expect(before.prepare(DATASETTE_DETECT_FTS).all()).toEqual([]);
  before.close();
  return { path, store: Store.open(path) };
}

describe('migration 0005: log_messages_fts as Datasette detects it', () => {
  it('is found by Datasette on a fresh database', () => {
    const store = Store.open(join(tempDir(), 'wxlog.db'));
    expect(store.db.prepare(DATASETTE_DETECT_FTS).all()).toEqual([{ name: 'log_messages_fts' }]);
    const sql = (
      store.db.prepare("SELECT sql FROM sqlite_master WHERE name = 'log_messages_fts'").get() as { sql: string }
    ).sql;
    expect(sql).toMatch(/tokenize="trigram"/);
    store.close();
  });

  it('keeps the index of a 0004 database that held messages whole, and its triggers', () => {
    const { store } = migratedFrom0004();
    expect(store.db.prepare(DATASETTE_DETECT_FTS).all()).toEqual([{ name: 'log_messages_fts' }]);
    // rank 1: also compares the index with the content table, message by message.
    expect(() =>
      store.db.prepare("INSERT INTO log_messages_fts (log_messages_fts, rank) VALUES ('integrity-check', 1)").run(),
    ).not.toThrow();
    const match = (phrase: string) =>
      (
        store.db
          .prepare('SELECT count(*) AS n FROM log_messages_fts WHERE log_messages_fts MATCH ?')
          .get(`"${phrase}"`) as { n: number }
      ).n;
    expect(match('请求失败')).toBe(2);
    // The triggers still feed the index: a new message is found, a deleted one is not.
    savePage(store, APPID, '', [served(4, '上传请求失败')], 2);
    expect(match('请求失败')).toBe(3);
    store.db.prepare("DELETE FROM log_messages WHERE text LIKE '支付%'").run();
    expect(match('请求失败')).toBe(2);
    expect(() =>
      store.db.prepare("INSERT INTO log_messages_fts (log_messages_fts, rank) VALUES ('integrity-check', 1)").run(),
    ).not.toThrow();
    const triggers = store.db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'log_messages' ORDER BY name")
      .all();
    expect(triggers).toEqual([{ name: 'log_messages_fts_delete' }, { name: 'log_messages_fts_insert' }]);
    store.close();
  });

  it('wxlog search 请求失败 still finds 网络请求失败 after the migration (subprocess)', async () => {
    const { path, store } = migratedFrom0004();
    store.close();
    const result = await runCli(['search', '请求失败', '--json', '--db', path]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('网络请求失败');
  });
});
