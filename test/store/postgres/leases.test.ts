import { afterEach, describe, expect, it } from 'vitest';
import { LeaseLostError } from '../../../src/store/postgres/lease-lost-error.js';
import { PgStore } from '../../../src/store/postgres/pg-store.js';
import { cstDayBounds } from '../../../src/wechat/cst-day.js';
import { readServedEntry } from '../../../src/wechat/served-entry.js';
import { freshAppid, postgresTestDatabase } from './engines.js';

const { begin, end } = cstDayBounds('20251121');
const page = (text: string) => [
  readServedEntry({ timestamp: begin + 60, traceid: text, msg: [{ time: begin + 60, level: 2, msg: [text] }] }),
];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

  it('lets another worker take over an expired lease, and fences the old holder out of writing', async () => {
    const [a, b] = [await open(), await open()];
    const appid = freshAppid();
    const [mine] = await a.leases.tryLease('host-a:1', [appid], 150);
    expect(mine).toMatchObject({ appid, worker: 'host-a:1', epoch: 1 });
    const fenceA = { worker: mine!.worker, epoch: mine!.epoch };
    const root = await a.windows.dayRoot(appid, '', '20251121', begin, end);
    expect(await a.savePage(appid, '', page('while held'), 1, { window: root }, fenceA)).toEqual({
      inserted: 1,
      seen: 1,
    });
    expect(await b.leases.tryLease('host-b:1', [appid], 60_000)).toEqual([]);
    await sleep(250);
    const [theirs] = await b.leases.tryLease('host-b:1', [appid], 60_000);
    expect(theirs).toMatchObject({ appid, worker: 'host-b:1', epoch: 2 });
    const before = await a.windows.get(root.id);
    const write = a.savePage(
      appid,
      '',
      page('after takeover'),
      2,
      { window: root, progress: { nextStart: 1, readTotal: 9, serverTotal: 9 } },
      fenceA,
    );
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
    const fenceB = { worker: theirs!.worker, epoch: theirs!.epoch };
    expect(await b.savePage(appid, '', page('new holder'), 3, { window: root }, fenceB)).toEqual({
      inserted: 1,
      seen: 1,
    });
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
