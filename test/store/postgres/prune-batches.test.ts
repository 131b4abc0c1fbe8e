import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { pgPrune } from '../../../src/store/postgres/pg-prune.js';
import { PgStore } from '../../../src/store/postgres/pg-store.js';
import { cstDayBounds } from '../../../src/wechat/cst-day.js';
import { readServedEntry } from '../../../src/wechat/served-entry.js';
import { createTestDatabase } from '../../helpers/postgres-server.js';

// The month a prune's cut falls in keeps its partition: its older rows are deleted a batch at a time, each
// batch locking only its rows (docs/postgres.md, "Partitions"), so that an analyst's long query or a
// worker's page never waits for the whole delete, and the delete never waits for them.

const APP = 'wxprunebatch00000';
const CUT = cstDayBounds('20251015').begin;
const BEFORE = cstDayBounds('20251003').begin + 600;
const AFTER = cstDayBounds('20251020').begin + 600;

const entry = (timestamp: number, traceid: string) =>
  readServedEntry({
    timestamp,
    traceid,
    level: 2,
    msg: [
      { time: timestamp, level: 2, msg: [`${traceid} one`] },
      { time: timestamp, level: 2, msg: [`${traceid} two`] },
    ],
  });

const stores: PgStore[] = [];
const clients: pg.Client[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.end()));
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

async function rows(store: PgStore) {
  const q = async (sql: string) => (await store.pool.query<Record<string, unknown>>(sql)).rows;
  return {
    entries: await q('SELECT traceid, timestamp FROM log_entries ORDER BY traceid'),
    messages: await q(
      'SELECT e.traceid, m.seq, m.text FROM log_messages m JOIN log_entries e ON e.id = m.entry_id ORDER BY 1, 2',
    ),
    ledger: await q(
      'SELECT l.filter_key, e.traceid FROM ledger_entries l JOIN log_entries e ON e.id = l.entry_id ORDER BY 1, 2',
    ),
    windows: await q('SELECT date, filter_key FROM windows ORDER BY date, filter_key'),
  };
}

describe('prune on PostgreSQL, in the month the cut falls in', () => {
  it('deletes the older rows a batch at a time while a reader keeps its transaction open, exactly', async () => {
    const url = await createTestDatabase(inject('postgresUrl'), 'wxlog_prune_batches');
    const store = await PgStore.open(url);
    stores.push(store);
    const older = Array.from({ length: 23 }, (_, i) => entry(BEFORE + i, `old${String(i).padStart(2, '0')}`));
    const newer = Array.from({ length: 4 }, (_, i) => entry(AFTER + i, `new${i}`));
    await store.savePage(APP, '', [...older, ...newer], 1);
    // A filtered ledger has seen some of each, and both days have coverage windows.
    await store.savePage(APP, 'level=2', [...older.slice(0, 7), ...newer.slice(0, 2)], 1);
    for (const [date, filterKey] of [
      ['20251003', ''],
      ['20251003', 'level=2'],
      ['20251020', ''],
    ] as const) {
      const { begin, end } = cstDayBounds(date);
      await store.windows.dayRoot(APP, filterKey, date, begin, end);
    }
    const before = await rows(store);
    expect(before.entries).toHaveLength(27);

    // An analyst's query still open: it holds log_entries (ACCESS SHARE) until it ends.
    const reader = new pg.Client({ connectionString: url });
    clients.push(reader);
    await reader.connect();
    await reader.query('BEGIN');
    await reader.query('SELECT count(*) FROM log_entries');

    const pruned = await Promise.race([
      pgPrune(store.pool, CUT, { batchEntries: 5 }),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('the prune waited for the open reader')), 5000),
      ),
    ]);
    expect(pruned).toEqual({ counts: { entries: 23, messages: 46, ledgerEntries: 7, windows: 2 }, dropped: [] });
    // The reader's transaction was never ended by the prune.
    await expect(reader.query('SELECT count(*) AS n FROM log_entries')).resolves.toBeDefined();
    await reader.query('COMMIT');

    const keep = (traceid: unknown) => String(traceid).startsWith('new');
    expect(await rows(store)).toEqual({
      entries: before.entries.filter((r) => keep(r['traceid'])),
      messages: before.messages.filter((r) => keep(r['traceid'])),
      ledger: before.ledger.filter((r) => keep(r['traceid'])),
      windows: before.windows.filter((r) => r['date'] === '20251020'),
    });
    const orphans = await store.pool.query(
      'SELECT count(*)::int AS n FROM log_messages m WHERE NOT EXISTS (SELECT 1 FROM log_entries e WHERE e.id = m.entry_id)',
    );
    expect(orphans.rows).toEqual([{ n: 0 }]);
  });

  it('refuses a batch size that is not a whole number of entries', async () => {
    const url = await createTestDatabase(inject('postgresUrl'), 'wxlog_prune_batches');
    const store = await PgStore.open(url);
    stores.push(store);
    await expect(pgPrune(store.pool, CUT, { batchEntries: 0 })).rejects.toThrow(/batchEntries/);
  });
});
