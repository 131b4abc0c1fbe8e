import { savePage } from '../helpers/save-page.js';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { CoverageReport } from '../../src/store/coverage-report.js';
import { Store } from '../../src/store/store.js';
import type { LogEntry } from '../../src/wechat/types.js';
import { tempDir } from '../helpers/temp-dir.js';

const A = 'wx1234567890abcdef';
const B = 'wxfedcba0987654321';
// Midnights of 2026-11-21 and 2026-11-22 CST, written out rather than computed by the code under test.
const D21 = Date.parse('2026-11-21T00:00:00+08:00') / 1000;
const D22 = Date.parse('2026-11-22T00:00:00+08:00') / 1000;

function entry(timestamp: number, level = 2): LogEntry {
  return { timestamp, level, traceid: `t${timestamp}`, msg: [{ time: timestamp, level, msg: ['x', timestamp] }] };
}

describe('CoverageReport', () => {
  it('counts stored entries per CST day by its bounds, per app or for all', () => {
    const path = join(tempDir(), 'wxlog.db');
    const store = Store.open(path);
    // The last second of the 21st and the first of the 22nd fall on different days.
    savePage(store, A, '', [entry(D21), entry(D22 - 1), entry(D22), entry(D22 + 86_399)], D22);
    savePage(store, B, '', [entry(D22 + 5), entry(D21 - 10)], D22);
    store.close();
    const { db } = openDatabase(path, { readonly: true });
    const report = new CoverageReport(db);
    const stored = (appid: string) =>
      report.days({ appid, filterKey: '' }, ['20261122', '20261121']).map((d) => d.entriesStored);
    expect(stored(A)).toEqual([2, 2]);
    expect(stored(B)).toEqual([1, 0]);
    expect(stored('')).toEqual([3, 2]);
    expect(report.entriesBefore({ appid: A, filterKey: '' }, D21)).toBe(0);
    expect(report.entriesBefore({ appid: '', filterKey: '' }, D21)).toBe(1);
    db.close();
  });

  it('counts, in a file of one app, the same as with the app condition', () => {
    const path = join(tempDir(), 'wxlog.db');
    const store = Store.open(path);
    savePage(store, A, '', [entry(D21 + 1), entry(D22 + 1), entry(D22 + 2)], D22);
    store.close();
    const { db } = openDatabase(path, { readonly: true });
    const report = new CoverageReport(db);
    expect(report.days({ appid: A, filterKey: '' }, ['20261122', '20261121']).map((d) => d.entriesStored)).toEqual([
      2, 1,
    ]);
    // An app that is not in the file has nothing stored, even though the file holds one app only.
    expect(report.days({ appid: B, filterKey: '' }, ['20261122']).map((d) => d.entriesStored)).toEqual([0]);
    db.close();
  });

  it('reports a filtered ledger from its own windows and the entries it has seen', () => {
    const path = join(tempDir(), 'wxlog.db');
    const store = Store.open(path);
    const key = '{"level":8}';
    savePage(store, A, '', [entry(D22 + 1), entry(D22 + 2)], D22);
    savePage(store, A, key, [entry(D22 + 3, 8)], D22);
    const root = store.windows.dayRoot(A, key, '20261122', D22, D22 + 86_399);
    store.windows.recordCheck(root.id, { status: 'complete', serverTotal: 1, storedCount: 1, at: D22 + 100 });
    store.close();
    const { db } = openDatabase(path, { readonly: true });
    const report = new CoverageReport(db);
    expect(report.days({ appid: A, filterKey: key }, ['20261122'])).toEqual([
      {
        date: '20261122',
        state: 'complete',
        windowsComplete: 1,
        windowsIncomplete: 0,
        entriesStored: 1,
        serverTotal: 1,
        lastCheckedAt: D22 + 100,
      },
    ]);
    expect(report.days({ appid: A, filterKey: '' }, ['20261122'])[0]).toMatchObject({
      state: 'not-read',
      entriesStored: 3,
    });
    db.close();
  });

  it('counts leaf windows only and takes the server total from the day root', () => {
    const path = join(tempDir(), 'wxlog.db');
    const store = Store.open(path);
    const root = store.windows.dayRoot(A, '', '20261121', D21, D21 + 86_399);
    const [left, right] = store.windows.split(root.id, [D21 + 40_000], 500, D21 + 10, 'deep offset');
    const [rl, rr] = store.windows.split(right!.id, [D21 + 60_000], 300, D21 + 20, 'deep offset');
    store.windows.recordCheck(left!.id, { status: 'complete', serverTotal: 200, storedCount: 200, at: D21 + 30 });
    store.windows.recordCheck(rl!.id, { status: 'complete', serverTotal: 100, storedCount: 100, at: D21 + 40 });
    store.windows.recordCheck(rr!.id, { status: 'incomplete', serverTotal: 200, storedCount: 150, at: D21 + 50 });
    store.windows.expireBefore(A, '20261121', D22);
    const report = () => new CoverageReport(store.db).days({ appid: A, filterKey: '' }, ['20261121'])[0];
    expect(report()).toMatchObject({
      state: 'incomplete',
      windowsComplete: 2,
      windowsIncomplete: 1,
      serverTotal: 500,
      lastCheckedAt: D21 + 50,
    });
    store.windows.recordCheck(rr!.id, { status: 'complete', serverTotal: 200, storedCount: 200, at: D21 + 60 });
    expect(report()).toMatchObject({ state: 'complete', windowsComplete: 3, windowsIncomplete: 0 });
    store.windows.expireBefore(A, '20261122', D22);
    expect(report()).toMatchObject({ state: 'expired' });
    store.close();
  });

  it('reports many apps at once with the figures it reports for each alone', () => {
    const path = join(tempDir(), 'wxlog.db');
    const store = Store.open(path);
    const key = '{"level":8}';
    savePage(store, A, '', [entry(D21 + 1), entry(D22 + 1), entry(D22 + 2)], D22);
    savePage(store, B, '', [entry(D22 + 5)], D22);
    savePage(store, B, key, [entry(D22 + 6, 8)], D22);
    const a22 = store.windows.dayRoot(A, '', '20261122', D22, D22 + 86_399);
    // The ledger's count (2) stands for a complete day; an incomplete one is counted.
    store.windows.recordCheck(a22.id, { status: 'complete', serverTotal: 2, storedCount: 2, at: D22 + 100 });
    const a21 = store.windows.dayRoot(A, '', '20261121', D21, D21 + 86_399);
    store.windows.recordCheck(a21.id, { status: 'incomplete', serverTotal: 4, storedCount: 1, at: D22 + 90 });
    const b22 = store.windows.dayRoot(B, key, '20261122', D22, D22 + 86_399);
    store.windows.recordCheck(b22.id, { status: 'complete', serverTotal: 1, storedCount: 1, at: D22 + 80 });
    store.close();
    const { db } = openDatabase(path, { readonly: true });
    const report = new CoverageReport(db);
    const days = ['20261122', '20261121'];
    for (const filterKey of ['', key]) {
      const many = report.appDays(filterKey, [A, B, 'wxnone'], days);
      expect([...many.keys()]).toEqual([A, B, 'wxnone']);
      for (const appid of [A, B, 'wxnone']) expect(many.get(appid)).toEqual(report.days({ appid, filterKey }, days));
    }
    expect(
      report
        .appDays('', [A], days)
        .get(A)
        ?.map((d) => [d.state, d.entriesStored]),
    ).toEqual([
      ['complete', 2],
      ['incomplete', 1],
    ]);
    expect(report.appDays('', [], days).size).toBe(0);
    expect(report.appDays('', [A], []).get(A)).toEqual([]);
    db.close();
  });
});
