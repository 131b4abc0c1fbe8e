import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { searchMessages, type SearchPlan } from '../../src/store/message-search.js';
import { notStoredMessage, storedApps } from '../../src/store/stored-apps.js';
import { Store } from '../../src/store/store.js';
import type { LogEntry } from '../../src/wechat/types.js';
import { savePage } from '../helpers/save-page.js';
import { tempDir } from '../helpers/temp-dir.js';

const T = Date.parse('2026-11-22T12:40:00+08:00') / 1000;
const D22 = Date.parse('2026-11-22T00:00:00+08:00') / 1000;

function entry(timestamp: number, text: string): LogEntry {
  return { timestamp, level: 4, traceid: `t${timestamp}`, msg: [{ time: timestamp, level: 4, msg: [text] }] };
}

describe('storedApps', () => {
  it('lists the apps of the apps table, the ledger and the entries, once each, sorted', () => {
    const path = join(tempDir(), 'wxlog.db');
    const store = Store.open(path);
    expect(storedApps(store.db)).toEqual([]);
    store.apps.seen('wxseen', T);
    store.windows.dayRoot('wxledger', '', '20261122', D22, D22 + 86_399);
    savePage(store, 'wxentries', '', [entry(T, 'a'), entry(T + 1, 'b')], T);
    savePage(store, 'wxseen', '', [entry(T, 'c')], T);
    store.close();
    const { db } = openDatabase(path, { readonly: true });
    expect(storedApps(db)).toEqual(['wxentries', 'wxledger', 'wxseen']);
    db.close();
  });

  it('reads the runs of a file made before migration 0006, which has no apps table', () => {
    const path = join(tempDir(), 'wxlog.db');
    const store = Store.open(path);
    store.runs.start('run', 'wxold', 1, T);
    store.db.exec('DROP TABLE apps; DELETE FROM schema_migrations WHERE version = 6');
    store.close();
    const { db } = openDatabase(path, { readonly: true });
    expect(storedApps(db)).toEqual(['wxold']);
    db.close();
  });
});

describe('notStoredMessage', () => {
  const held = ['wx1', 'wx2', 'wx3', 'wx4', 'wx5', 'wx6', 'wx7'];
  it('is null when every app asked about is held, or when the file holds none yet', () => {
    expect(notStoredMessage(['wx1', 'wx7'], held, 'f.db')).toBeNull();
    expect(notStoredMessage([], held, 'f.db')).toBeNull();
    expect(notStoredMessage(['wx9'], [], 'f.db')).toBeNull();
  });

  it('names what is missing, the first five apps held and how many more', () => {
    expect(notStoredMessage(['wx9'], ['wx1'], 'data/demo.db')).toBe(
      'data/demo.db does not hold wx9; it holds 1 app: wx1',
    );
    expect(notStoredMessage(['wx1', 'wx9', 'wx8', 'wx9'], held, 'f.db')).toBe(
      'f.db does not hold wx9, wx8; it holds 7 apps: wx1, wx2, wx3, wx4, wx5 and 2 more',
    );
  });
});

describe('searchMessages over several apps', () => {
  it.each<SearchPlan>(['auto', 'lookup', 'scan'])('keeps the apps asked for (%s)', (plan) => {
    const store = Store.open(join(tempDir(), 'wxlog.db'));
    savePage(store, 'wxa', '', [entry(T, '网络请求失败 a')], T);
    savePage(store, 'wxb', '', [entry(T + 1, '网络请求失败 b')], T);
    savePage(store, 'wxc', '', [entry(T + 2, '网络请求失败 c')], T);
    const apps = (q: { appid?: string; appids?: string[] }) =>
      searchMessages(store.db, { text: '请求失败', limit: 10, ...q }, plan).map((h) => h.appid);
    expect(apps({})).toEqual(['wxc', 'wxb', 'wxa']);
    expect(apps({ appids: [] })).toEqual(['wxc', 'wxb', 'wxa']);
    expect(apps({ appids: ['wxa', 'wxc'] })).toEqual(['wxc', 'wxa']);
    expect(apps({ appids: ['wxb'], appid: 'wxa' })).toEqual(['wxb', 'wxa']);
    expect(apps({ appids: ['wxnone'] })).toEqual([]);
    store.close();
  });

  it('drops the app condition in a file of one app that is among those asked for', () => {
    const store = Store.open(join(tempDir(), 'wxlog.db'));
    savePage(store, 'wxa', '', [entry(T, '网络请求失败 a')], T);
    const apps = (appids: string[]) =>
      searchMessages(store.db, { text: '请求失败', limit: 10, appids }).map((h) => h.appid);
    expect(apps(['wxa', 'wxb'])).toEqual(['wxa']);
    expect(apps(['wxb'])).toEqual([]);
    store.close();
  });
});
