import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { appState, appStatuses, type AppStatusScope } from '../../src/store/app-status.js';
import { lockHolder } from '../../src/store/run-lock.js';
import type { DayState } from '../../src/store/coverage-report.js';
import { openDatabase } from '../../src/store/database.js';
import { storedApps } from '../../src/store/stored-apps.js';
import { Store } from '../../src/store/store.js';
import type { LogEntry } from '../../src/wechat/types.js';
import { savePage } from '../helpers/save-page.js';
import { tempDir } from '../helpers/temp-dir.js';
import { runRecord } from '../helpers/run-record.js';

// Midnights of 2026-11-21 and 2026-11-22 CST, written out rather than computed by the code under test;
// "now" is noon of the 22nd.
const D21 = Date.parse('2026-11-21T00:00:00+08:00') / 1000;
const D22 = Date.parse('2026-11-22T00:00:00+08:00') / 1000;
const NOW = D22 + 12 * 3600;
const DAYS = ['20261122', '20261121'];

function entry(timestamp: number): LogEntry {
  return { timestamp, level: 2, traceid: `t${timestamp}`, msg: [{ time: timestamp, level: 2, msg: ['x', timestamp] }] };
}

/** A day of `appid` read in full: one window, complete, the ledger's count `n`. */
function completeDay(store: Store, appid: string, day: number, n: number, at: number): void {
  const date = day === D22 ? '20261122' : '20261121';
  const root = store.windows.dayRoot(appid, '', date, day, day + 86_399);
  store.windows.recordCheck(root.id, { status: 'complete', serverTotal: n, storedCount: n, at });
}

function finishedRun(store: Store, appid: string, startedAt: number, exitCode: number, message?: string): void {
  const id = store.runs.start('daemon', appid, 100, startedAt, `node-a:100`);
  store.apps.seen(appid, startedAt);
  store.runs.finishRun(id, startedAt + 30, runRecord(exitCode, message ?? null));
  store.apps.finished(appid, startedAt, exitCode, message ?? null);
}

const scope = (appids: string[], over: Partial<AppStatusScope> = {}): AppStatusScope => ({
  appids,
  filterKey: '',
  days: DAYS,
  lock: { holder: undefined },
  nowSeconds: NOW,
  ...over,
});

describe('appState', () => {
  const all = (s: DayState): DayState[] => [s, s];
  it('follows the latest run, then the days of the lookback', () => {
    expect(appState(null, all('complete'))).toBe('never-run');
    expect(appState('running', all('not-read'))).toBe('running');
    expect(appState('interrupted', all('complete'))).toBe('interrupted');
    expect(appState('failed', all('complete'))).toBe('failing');
    expect(appState('incomplete', all('complete'))).toBe('incomplete');
    expect(appState('ok', all('complete'))).toBe('ok');
    expect(appState('ok', ['complete', 'unavailable'])).toBe('ok');
    expect(appState('ok', ['complete', 'expired'])).toBe('ok');
    expect(appState('ok', ['complete', 'incomplete'])).toBe('incomplete');
    expect(appState('ok', ['complete', 'not-read'])).toBe('incomplete');
  });
});

describe('appStatuses', () => {
  it('reports every app, trouble first, then the most recent run first', () => {
    const path = join(tempDir(), 'wxlog.db');
    const store = Store.open(path);
    // ok: both days complete, the ledger's counts (2 + 1) standing for the entries.
    savePage(store, 'wxok', '', [entry(D21 + 5), entry(D22 + 1), entry(D22 + 2)], NOW);
    completeDay(store, 'wxok', D22, 2, NOW - 100);
    completeDay(store, 'wxok', D21, 1, NOW - 100);
    finishedRun(store, 'wxok', NOW - 200, 0);
    // failing: a fatal error after an earlier clean pass; only today read.
    finishedRun(store, 'wxfail', NOW - 7200, 0);
    finishedRun(store, 'wxfail', NOW - 3600, 3, 'errcode 40001: invalid credential\nsecond line');
    // an older failure ranks below the newer one.
    finishedRun(store, 'wxfail2', NOW - 9000, 5, 'the export failed unexpectedly');
    // interrupted: its last pass never finished and nobody holds the lock; yesterday's count is counted.
    savePage(store, 'wxkilled', '', [entry(D21 + 1), entry(D21 + 2), entry(D22 + 3)], NOW);
    finishedRun(store, 'wxkilled', NOW - 1000, 1, 'quota');
    store.runs.start('daemon', 'wxkilled', 100, NOW - 500, 'node-a:100');
    // incomplete: a clean exit but yesterday not complete (a shorter lookback then).
    completeDay(store, 'wxpart', D22, 0, NOW - 50);
    finishedRun(store, 'wxpart', NOW - 60, 0);
    // never-run: entries only.
    savePage(store, 'wxnever', '', [entry(D22 + 9)], NOW);
    store.close();

    const { db } = openDatabase(path, { readonly: true });
    const apps = storedApps(db);
    expect(apps).toEqual(['wxfail', 'wxfail2', 'wxkilled', 'wxnever', 'wxok', 'wxpart']);
    const statuses = appStatuses(db, scope(apps));
    expect(statuses.map((s) => [s.appid, s.state, s.daysComplete, s.entriesStored, s.lastRun?.startedAt])).toEqual([
      ['wxfail', 'failing', 0, 0, NOW - 3600],
      ['wxfail2', 'failing', 0, 0, NOW - 9000],
      ['wxkilled', 'interrupted', 0, 3, NOW - 500],
      ['wxpart', 'incomplete', 1, 0, NOW - 60],
      ['wxnever', 'never-run', 0, 1, undefined],
      ['wxok', 'ok', 2, 3, NOW - 200],
    ]);
    const by = new Map(statuses.map((s) => [s.appid, s]));
    expect(by.get('wxfail')?.lastError).toBe('errcode 40001: invalid credential\nsecond line');
    // The interrupted app's last error is that of its latest finished pass.
    expect(by.get('wxkilled')?.lastError).toBe('quota');
    expect(by.get('wxkilled')?.lastRun).toMatchObject({ state: 'interrupted', finishedAt: null, worker: 'node-a:100' });
    expect(by.get('wxok')?.lastError).toBeNull();
    expect(by.get('wxok')?.days.map((d) => [d.date, d.state, d.entriesStored])).toEqual([
      ['20261122', 'complete', 2],
      ['20261121', 'complete', 1],
    ]);
    // Only the apps asked about.
    expect(appStatuses(db, scope(['wxok'])).map((s) => s.appid)).toEqual(['wxok']);
    db.close();
  });

  it('shows a run as running while its worker holds the lock', () => {
    const path = join(tempDir(), 'wxlog.db');
    const store = Store.open(path);
    store.runs.start('daemon', 'wxa', 100, NOW - 500, 'node-a:100');
    store.apps.seen('wxa', NOW - 500);
    store.db
      .prepare('INSERT INTO run_lock (id, pid, hostname, command, acquired_at, heartbeat_at) VALUES (1, ?, ?, ?, ?, ?)')
      .run(100, 'node-a', 'daemon', NOW - 501, NOW - 5);
    const lock = { holder: lockHolder(store.db) };
    expect(lock.holder).toEqual({
      pid: 100,
      hostname: 'node-a',
      command: 'daemon',
      acquiredAt: NOW - 501,
      heartbeatAt: NOW - 5,
    });
    expect(appStatuses(store.db, scope(['wxa'], { lock }))[0]?.state).toBe('running');
    expect(appStatuses(store.db, scope(['wxa'], { lock: { ...lock, holderAlive: false } }))[0]?.state).toBe(
      'interrupted',
    );
    store.close();
  });

  it('reads each table through an index, whatever the number of apps (EXPLAIN QUERY PLAN)', () => {
    const path = join(tempDir(), 'wxlog.db');
    const store = Store.open(path);
    for (let i = 0; i < 20; i++) {
      const appid = `wx${String(i).padStart(16, '0')}`;
      savePage(store, appid, '', [entry(D21 + i), entry(D22 + i)], NOW);
      completeDay(store, appid, D22, 1, NOW - 10);
      store.windows.dayRoot(appid, '', '20261121', D21, D21 + 86_399);
      finishedRun(store, appid, NOW - 100 - i, i % 3);
    }
    store.close();

    const statements: string[] = [];
    const db = new BetterSqlite3(path, { readonly: true, verbose: (sql) => statements.push(String(sql)) });
    const apps = storedApps(db);
    expect(apps).toHaveLength(20);
    expect(appStatuses(db, scope(apps))).toHaveLength(20);
    const plans = statements
      .filter((sql) => /\b(windows|log_entries|runs|apps)\b/.test(sql) && !/pragma_table_info|sqlite_master/.test(sql))
      .map((sql) => ({
        sql: sql.replace(/\s+/g, ' ').slice(0, 80),
        plan: (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail),
      }));
    // The app list, the ledger, the counts and the latest runs: a fixed number of statements.
    expect(plans.length).toBeLessThanOrEqual(5);
    for (const { sql, plan } of plans) {
      // A SCAN of a table (not of json_each, nor of the recursive CTE's queue) would read every row of it.
      const scans = plan.filter((d) => /^SCAN (windows|log_entries|runs|apps|w|r|f|e|l)\b(?! VIRTUAL TABLE)/.test(d));
      expect({ sql, scans }).toEqual({ sql, scans: [] });
    }
    // Sorting is left to the app list's UNION (one row per app): no run history is sorted.
    const sorted = plans.filter((p) => p.plan.some((d) => d.includes('TEMP B-TREE FOR ORDER BY')));
    expect(sorted.map((p) => p.sql)).toEqual([
      expect.stringMatching(/^ SELECT appid FROM \(SELECT appid FROM apps UNION/),
    ]);
    const all = plans.flatMap((p) => p.plan).join('\n');
    expect(all).toMatch(/USING INDEX windows_day/);
    expect(all).toMatch(/USING COVERING INDEX log_entries_identity/);
    expect(all).toMatch(/USING (COVERING )?INDEX runs_app_started/);
    db.close();
  });

  it('reads a file made before migration 0006 (no apps table, no runs.worker): its unfinished runs are interrupted', () => {
    const path = join(tempDir(), 'wxlog.db');
    const store = Store.open(path);
    store.runs.start('run', 'wxold', 100, NOW - 500);
    savePage(store, 'wxold', '', [entry(D22 + 1)], NOW);
    store.db.exec(
      'DROP TABLE apps; ALTER TABLE runs DROP COLUMN worker; DELETE FROM schema_migrations WHERE version = 6',
    );
    store.db
      .prepare('INSERT INTO run_lock (id, pid, hostname, command, acquired_at, heartbeat_at) VALUES (1, ?, ?, ?, ?, ?)')
      .run(100, 'node-a', 'run', NOW - 501, NOW - 5);
    store.close();
    const { db } = openDatabase(path, { readonly: true });
    const [status] = appStatuses(db, scope(storedApps(db), { lock: { holder: lockHolder(db) } }));
    expect(status).toMatchObject({ appid: 'wxold', state: 'interrupted', entriesStored: 1 });
    expect(status?.lastRun?.worker).toBe('unknown:100');
    db.close();
  });
});
