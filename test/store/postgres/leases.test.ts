import { afterEach, describe, expect, it } from 'vitest';
import { LeaseLostError } from '../../../src/store/postgres/lease-lost-error.js';
import { PgStore } from '../../../src/store/postgres/pg-store.js';
import { cstDayBounds } from '../../../src/wechat/cst-day.js';
import { readServedEntry } from '../../../src/wechat/served-entry.js';
import { freshAppid, postgresTestDatabase } from './engines.js';
import { runRecord } from '../../helpers/run-record.js';

const { begin, end } = cstDayBounds('20251121');
const page = (text: string) => [
  readServedEntry({ timestamp: begin + 60, traceid: text, msg: [{ time: begin + 60, level: 2, msg: [text] }] }),
];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Everything stored of `appid`: its windows, state row, scenes, `apps` row and entries. */
async function snapshot(store: PgStore, appid: string) {
  const rows = async (sql: string) => (await store.pool.query<Record<string, unknown>>(sql, [appid])).rows;
  return {
    windows: await Promise.all(
      (await rows('SELECT id FROM windows WHERE appid = $1 ORDER BY id')).map((r) => store.windows.get(r.id as number)),
    ),
    state: await rows("SELECT key, value, updated_at FROM state WHERE key LIKE '%' || $1 ORDER BY key"),
    scenes: await rows('SELECT value, name FROM scenes WHERE appid = $1 ORDER BY position'),
    apps: await rows('SELECT last_run_at, last_exit, last_error FROM apps WHERE appid = $1'),
    entries: await rows('SELECT id, traceid, last_seen_at FROM log_entries WHERE appid = $1 ORDER BY id'),
  };
}

describe('postgres leases', () => {
  const stores: PgStore[] = [];
  const open = async () => {
    const s = await PgStore.open(await postgresTestDatabase());
    stores.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  it('gives each app to one worker when 4 workers take at once', async () => {
    const workers = await Promise.all([1, 2, 3, 4].map(() => open()));
    const apps = Array.from({ length: 12 }, () => freshAppid());
    const taken = await Promise.all(workers.map((w, i) => w.leases.tryLease(`host:${i}`, apps, 60_000)));
    const holders = taken.flat();
    expect(holders.map((l) => l.appid).sort()).toEqual([...apps].sort());
    expect(holders.every((l) => l.epoch === 1)).toBe(true);
    // All held: nobody takes anything more, the holders included (they renew instead).
    const again = await Promise.all(workers.map((w, i) => w.leases.tryLease(`host:${i}`, apps, 60_000)));
    expect(again.flat()).toEqual([]);
  });

  it('leaves an app another worker took and released during this pass, and takes over one whose holder died', async () => {
    const [a, b] = [await open(), await open()];
    const [done, dead, before] = [freshAppid(), freshAppid(), freshAppid()];
    // Released before b's pass began: b's to take.
    const [early] = await a.leases.tryLease('host-a:1', [before], 60_000);
    expect(await a.leases.release(early!)).toBe(true);
    await sleep(5);
    const passStart = await b.leases.now();
    expect(Math.abs(passStart - Date.now())).toBeLessThan(60_000);
    const [finished] = await a.leases.tryLease('host-a:1', [done], 60_000);
    expect(await a.leases.release(finished!)).toBe(true);
    await a.leases.tryLease('host-a:1', [dead], 300);
    await sleep(400);
    const taken = await b.leases.tryLease('host-b:1', [done, dead, before], 60_000, { doneSince: passStart });
    // `done` was exported in this pass by a; `dead`'s holder stopped renewing; `before` was done earlier.
    expect(taken.map((l) => l.appid).sort()).toEqual([dead, before].sort());
    expect(taken.find((l) => l.appid === dead)).toMatchObject({ worker: 'host-b:1', epoch: 2 });
    // The next pass takes it again.
    const [next] = await b.leases.tryLease('host-b:1', [done], 60_000, { doneSince: await b.leases.now() });
    expect(next).toMatchObject({ appid: done, worker: 'host-b:1', epoch: 2 });
  });

  it('lets another worker take over an expired lease, and fences the old holder out of writing', async () => {
    const [a, b] = [await open(), await open()];
    const appid = freshAppid();
    const [mine] = await a.leases.tryLease('host-a:1', [appid], 500);
    expect(mine).toMatchObject({ appid, worker: 'host-a:1', epoch: 1 });
    expect(await b.leases.tryLease('host-b:1', [appid], 60_000)).toEqual([]);
    const fencedA = a.fencedBy(appid, { worker: mine!.worker, epoch: mine!.epoch });
    const root = await fencedA.windows.dayRoot(appid, '', '20251121', begin, end);
    expect(await fencedA.savePage(appid, '', page('while held'), 1, { window: root })).toEqual({
      inserted: 1,
      seen: 1,
    });
    await sleep(600);
    const [theirs] = await b.leases.tryLease('host-b:1', [appid], 60_000);
    expect(theirs).toMatchObject({ appid, worker: 'host-b:1', epoch: 2 });
    const before = await a.windows.get(root.id);
    const write = fencedA.savePage(appid, '', page('after takeover'), 2, {
      window: root,
      progress: { nextStart: 1, readTotal: 9, serverTotal: 9 },
    });
    await expect(write).rejects.toThrow(LeaseLostError);
    await expect(write).rejects.toThrow(`the lease on ${appid} held by host-a:1 at epoch 1 was lost`);
    // Nothing of the refused page: neither its entry nor the window's progress.
    const { rows } = await a.pool.query<{ traceid: string }>('SELECT traceid FROM log_entries WHERE appid = $1', [
      appid,
    ]);
    expect(rows.map((r) => r.traceid)).toEqual(['while held']);
    expect(await a.windows.get(root.id)).toEqual(before);
    await expect(a.leases.renew(mine!, 60_000)).rejects.toThrow(LeaseLostError);
    expect(await a.leases.release(mine!)).toBe(false);
    // The new holder writes.
    const fencedB = b.fencedBy(appid, { worker: theirs!.worker, epoch: theirs!.epoch });
    expect(await fencedB.savePage(appid, '', page('new holder'), 3, { window: root })).toEqual({
      inserted: 1,
      seen: 1,
    });
  });

  it('fences every write of the app through fencedBy, not only pages: the old holder writes nothing once taken over', async () => {
    const [a, b] = [await open(), await open()];
    const appid = freshAppid();
    const [mine] = await a.leases.tryLease('host-a:1', [appid], 150);
    const fencedA = a.fencedBy(appid, { worker: mine!.worker, epoch: mine!.epoch });
    const key = `page_size:${appid}`;

    // While the lease holds, the fenced writes write as the store's own do.
    const root = await fencedA.windows.dayRoot(appid, '', '20251121', begin, end);
    expect(await fencedA.savePage(appid, '', page('while held'), 1, { window: root })).toEqual({
      inserted: 1,
      seen: 1,
    });
    await fencedA.windows.recordCheck(root.id, { status: 'incomplete', serverTotal: 5, storedCount: 1, at: 2 });
    expect(await fencedA.windows.get(root.id)).toMatchObject({ status: 'incomplete', serverTotal: 5, checkedAt: 2 });
    const [lower, upper] = await fencedA.windows.split(root.id, [begin + 3600], 5, 3, 'test');
    await fencedA.windows.recordSplitCheck(root.id, 6, null, 4);
    expect(await fencedA.windows.get(root.id)).toMatchObject({ status: 'split', serverTotal: 6, checkedAt: 4 });
    await fencedA.windows.recordProgress(lower!.id, 1, 5, 5, 4);
    expect(await fencedA.windows.get(lower!.id)).toMatchObject({ nextStart: 1, readTotal: 5, checkedAt: 4 });
    await fencedA.windows.markUnavailable(appid, '', '20251119', 5, 'gone');
    expect(await fencedA.windows.expireBefore(appid, '20251119', 6)).toBe(0);
    expect(await fencedA.windows.expireBefore(appid, '20251120', 6)).toBe(0);
    await fencedA.state.set(key, 'held', 6);
    expect(await fencedA.state.get(key)).toBe('held');
    await fencedA.replaceScenes(appid, [{ value: '1001', name: '主入口' }], 6);
    await fencedA.apps.seen(appid, 7);
    await fencedA.apps.finished(appid, 7, 0, null);
    // A fenced store writes its own app only.
    await expect(fencedA.savePage(freshAppid(), '', page('other'), 1)).rejects.toThrow(RangeError);
    await expect(fencedA.windows.expireBefore(freshAppid(), '20251119', 6)).rejects.toThrow(RangeError);

    await sleep(250);
    const [theirs] = await b.leases.tryLease('host-b:1', [appid], 60_000);
    expect(theirs).toMatchObject({ epoch: 2 });
    const before = await snapshot(a, appid);
    expect(before.windows).toHaveLength(4);

    // Every write of the app's data, ledger and state is refused, and leaves the database as it was.
    const refused: [string, () => Promise<unknown>][] = [
      [
        'recordCheck',
        () => fencedA.windows.recordCheck(lower!.id, { status: 'complete', serverTotal: 1, storedCount: 1, at: 9 }),
      ],
      ['recordSplitCheck', () => fencedA.windows.recordSplitCheck(root.id, 9, 9, 9)],
      ['recordProgress', () => fencedA.windows.recordProgress(lower!.id, 2, 9, 9, 9)],
      ['split', () => fencedA.windows.split(upper!.id, [begin + 7200], 9, 9, 'late')],
      ['markUnavailable', () => fencedA.windows.markUnavailable(appid, '', '20251120', 9, 'late')],
      ['expireBefore', () => fencedA.windows.expireBefore(appid, '20251122', 9)],
      ['dayRoot', () => fencedA.windows.dayRoot(appid, '', '20251122', end + 1, end + 86_400)],
      ['state.set', () => fencedA.state.set(key, 'late', 9)],
      ['replaceScenes', () => fencedA.replaceScenes(appid, [{ value: '1002', name: 'late' }], 9)],
      ['savePage', () => fencedA.savePage(appid, '', page('late'), 9, { window: lower! })],
    ];
    for (const [name, write] of refused) {
      await expect(write(), name).rejects.toThrow(LeaseLostError);
    }
    // The app's row is the new holder's to write: the old holder's finish is skipped, quietly.
    await expect(fencedA.apps.finished(appid, 9, 1, 'lost')).resolves.toBeUndefined();
    expect(await snapshot(a, appid)).toEqual(before);
    // Reads, the shared budget and the worker's own runs row are not fenced: a request sent always counts.
    expect(await fencedA.windows.get(root.id)).toEqual(before.windows[0]);
    expect(await fencedA.requests.tryTake(appid, 1000, 5, 1000)).toBe(0);
    expect(await a.requests.since(appid, 0)).toEqual([1000]);
    const run = await fencedA.runs.start('run', appid, 1, 9, 'host-a:1');
    await fencedA.runs.finishRun(run, 10, runRecord(1, 'lost'));
    const runs = await a.pool.query('SELECT exit_code FROM runs WHERE id = $1', [run]);
    expect(runs.rows).toEqual([{ exit_code: 1 }]);

    // The new holder's writes all go through.
    const fencedB = b.fencedBy(appid, { worker: theirs!.worker, epoch: theirs!.epoch });
    await fencedB.windows.recordCheck(lower!.id, { status: 'complete', serverTotal: 1, storedCount: 1, at: 9 });
    await fencedB.windows.recordSplitCheck(root.id, 9, null, 9);
    await fencedB.windows.recordProgress(upper!.id, 2, 9, 9, 9);
    expect(await fencedB.windows.split(upper!.id, [begin + 7200], 9, 9, 'new holder')).toHaveLength(2);
    await fencedB.windows.markUnavailable(appid, '', '20251120', 9, 'new holder');
    const day22 = await fencedB.windows.dayRoot(appid, '', '20251122', end + 1, end + 86_400);
    expect(await fencedB.windows.expireBefore(appid, '20251122', 9)).toBe(5);
    await fencedB.state.set(key, 'new holder', 9);
    await fencedB.replaceScenes(appid, [{ value: '1002', name: 'new holder' }], 9);
    expect(await fencedB.savePage(appid, '', page('new holder'), 9, { window: lower! })).toEqual({
      inserted: 1,
      seen: 1,
    });
    await fencedB.apps.finished(appid, 9, 0, null);
    const after = await snapshot(b, appid);
    expect(after.windows.map((w) => [w.date, w.status, w.expiredAt])).toEqual([
      ['20251121', 'split', 9],
      ['20251121', 'complete', 9],
      ['20251121', 'split', 9],
      ['20251119', 'unavailable', 5],
      ['20251121', 'pending', 9],
      ['20251121', 'pending', 9],
      ['20251120', 'unavailable', 9],
      ['20251122', 'pending', null],
    ]);
    expect(after.windows.map((w) => w.id)).toContain(day22.id);
    expect(after.state).toEqual([{ key, value: 'new holder', updated_at: 9 }]);
    expect(after.scenes).toEqual([{ value: '1002', name: 'new holder' }]);
    expect(after.apps).toEqual([{ last_run_at: 9, last_exit: 0, last_error: null }]);
    expect(after.entries.map((e) => e.traceid)).toEqual(['while held', 'new holder']);
  });

  it("writes no other app's window through a store fenced by one app's lease, addressed by the window's id", async () => {
    const store = await open();
    const [appid, other] = [freshAppid(), freshAppid()];
    const [mine] = await store.leases.tryLease('host-a:1', [appid], 150);
    const fenced = store.fencedBy(appid, { worker: mine!.worker, epoch: mine!.epoch });
    const theirs = await store.windows.dayRoot(other, '', '20251121', begin, end);
    const before = await snapshot(store, other);
    await fenced.windows.recordCheck(theirs.id, { status: 'complete', serverTotal: 5, storedCount: 5, at: 9 });
    await fenced.windows.recordSplitCheck(theirs.id, 6, 6, 9);
    await fenced.windows.recordProgress(theirs.id, 3, 3, 6, 9);
    await expect(fenced.windows.split(theirs.id, [begin + 3600], 5, 9, 'x')).rejects.toThrow(
      `window ${theirs.id} is ${other}'s: a store fenced by the lease of ${appid} splits no other app's windows`,
    );
    // A page of the fenced app whose progress names the other app's window: the page is stored, the window untouched.
    expect(
      await fenced.savePage(appid, '', page('mine'), 9, {
        window: theirs,
        progress: { nextStart: 1, readTotal: 1, serverTotal: 1 },
      }),
    ).toEqual({ inserted: 1, seen: 1 });
    expect(await snapshot(store, other)).toEqual(before);
    // The same writes on the fenced app's own window go through.
    const own = await fenced.windows.dayRoot(appid, '', '20251121', begin, end);
    await fenced.windows.recordCheck(own.id, { status: 'incomplete', serverTotal: 5, storedCount: 1, at: 9 });
    await fenced.windows.recordProgress(own.id, 3, 3, 6, 10);
    expect(await fenced.windows.get(own.id)).toMatchObject({ status: 'incomplete', serverTotal: 6, checkedAt: 10 });
  });

  it('a fenced one-statement write waits for a taker in progress, and then writes nothing', async () => {
    const [a, b] = [await open(), await open()];
    const appid = freshAppid();
    const [mine] = await a.leases.tryLease('host-a:1', [appid], 60_000);
    const fencedA = a.fencedBy(appid, { worker: mine!.worker, epoch: mine!.epoch });
    const root = await fencedA.windows.dayRoot(appid, '', '20251121', begin, end);
    // Another worker's takeover, not committed yet, holds the lease row: the fenced write waits on it (FOR
    // SHARE), then finds the epoch moved on, in the same statement.
    const taker = await b.pool.connect();
    try {
      await taker.query('BEGIN');
      await taker.query("UPDATE leases SET worker = 'host-b:1', epoch = epoch + 1 WHERE appid = $1", [appid]);
      const write = fencedA.windows.recordCheck(root.id, { status: 'complete', serverTotal: 0, storedCount: 0, at: 1 });
      const settled = write.then(
        () => 'written',
        (e: unknown) => e,
      );
      await sleep(100);
      await taker.query('COMMIT');
      expect(await settled).toBeInstanceOf(LeaseLostError);
    } finally {
      taker.release();
    }
    expect(await a.windows.get(root.id)).toEqual(root);
  });

  it('renews a held lease, and a released one is free for the next worker at a higher epoch', async () => {
    const [a, b] = [await open(), await open()];
    const appid = freshAppid();
    const [lease] = await a.leases.tryLease('host-a:1', [appid], 1_000);
    const renewed = await a.leases.renew(lease!, 60_000);
    expect(renewed.epoch).toBe(lease!.epoch);
    expect(renewed.expiresAt).toBeGreaterThan(lease!.expiresAt + 50_000);
    expect(await a.leases.release(renewed)).toBe(true);
    const [next] = await b.leases.tryLease('host-b:1', [appid], 60_000);
    expect(next).toMatchObject({ worker: 'host-b:1', epoch: lease!.epoch + 1 });
    await expect(a.leases.tryLease('w', [appid], 0)).rejects.toThrow(
      'Expected `ttlMs` to be a finite number > 0, got 0',
    );
  });

  it('does not hand a lease over while its holder is writing a page', async () => {
    const [a, b] = [await open(), await open()];
    const appid = freshAppid();
    const [lease] = await a.leases.tryLease('host-a:1', [appid], 100);
    await sleep(150);
    // Expired, but the fenced write holds the row (FOR SHARE) while its transaction is open: a taker that
    // comes during it skips the row instead of taking it from under the write.
    const client = await a.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT 1 FROM leases WHERE appid = $1 AND epoch = $2 FOR SHARE', [appid, lease!.epoch]);
      expect(await b.leases.tryLease('host-b:1', [appid], 60_000)).toEqual([]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await b.leases.tryLease('host-b:1', [appid], 60_000)).toMatchObject([{ epoch: 2 }]);
  });
});
