import type pg from 'pg';
import { cstDayOf } from '../../wechat/cst-day.js';
import type { PruneCounts } from '../prune.js';
import { DatabaseUnavailableError } from '../read-store.js';
import { inTransaction } from './connection.js';

interface Partition {
  name: string;
  /** Exclusive upper bound, unix seconds. */
  upper: number;
}

// The month partitions of a table (docs/postgres.md, "Partitions") and where each ends.
const PARTITIONS = `
  SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
  WHERE i.inhparent = $1::regclass
  ORDER BY c.relname`;

async function partitions(db: pg.ClientBase | pg.Pool, table: 'log_entries' | 'log_messages'): Promise<Partition[]> {
  const { rows } = await db.query<{ name: string; bound: string }>(PARTITIONS, [table]);
  return rows.flatMap((r) => {
    // FOR VALUES FROM ('1761926400') TO ('1764518400'); a DEFAULT partition (none of ours) has no upper bound.
    const upper = /TO \('?(-?\d+)'?\)/.exec(r.bound)?.[1];
    return upper === undefined ? [] : [{ name: r.name, upper: Number(upper) }];
  });
}

const quoted = (name: string): string => `"${name.replace(/"/g, '""')}"`;

const n = async (db: pg.ClientBase | pg.Pool, sql: string, params: unknown[]): Promise<number> =>
  (await db.query<{ n: number }>(sql, params)).rows[0]?.n ?? 0;

/** What {@link pgPrune} would remove before `before` (unix seconds), without removing anything. */
export async function pgCountPrunable(db: pg.ClientBase | pg.Pool, before: number): Promise<PruneCounts> {
  return {
    entries: await n(db, 'SELECT count(*) AS n FROM log_entries WHERE timestamp < $1', [before]),
    messages: await n(db, 'SELECT count(*) AS n FROM log_messages WHERE entry_timestamp < $1', [before]),
    ledgerEntries: await n(db, 'SELECT count(*) AS n FROM ledger_entries WHERE timestamp < $1', [before]),
    windows: await n(db, 'SELECT count(*) AS n FROM windows WHERE date < $1', [cstDayOf(before)]),
  };
}

// SQLSTATEs of a prune that met the writers' locks: deadlock_detected, lock_not_available (lock_timeout).
const BUSY = new Set(['40P01', '55P03']);
const TRIES = 5;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Deletes every entry logged before `before` (a CST midnight), in one transaction: each month partition that
 * ends by then is dropped whole (the messages' first, which reference the entries'), the rows of the month the
 * cut falls in are deleted, and so are the filtered-ledger rows and the coverage windows of the days removed.
 * Returns the counts and the partitions dropped. A writer that later needs a dropped month makes it again.
 *
 * Workers may be writing pages meanwhile. The transaction first locks log_entries and then log_messages, the
 * order a page's transaction takes them in: taken the other way round, as detaching the messages' partitions
 * first did, a prune and a page each held one table and waited for the other, and PostgreSQL ended one of
 * them as a deadlock. A prune that still meets one (a reader's join may lock the tables the other way), or
 * waits longer than the lock timeout, starts again, up to {@link TRIES} times, then throws
 * DatabaseUnavailableError having pruned nothing.
 */
export async function pgPrune(pool: pg.Pool, before: number): Promise<{ counts: PruneCounts; dropped: string[] }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await pruneOnce(pool, before);
    } catch (e: unknown) {
      const code = (e as { code?: unknown }).code;
      if (typeof code !== 'string' || !BUSY.has(code)) throw e;
      if (attempt >= TRIES) {
        throw new DatabaseUnavailableError(
          `cannot prune now: other sessions kept the log tables locked through ${TRIES} tries ` +
            `(${code === '40P01' ? 'a deadlock' : 'the lock timeout'} each time); nothing was pruned, try again`,
          { cause: e },
        );
      }
      await sleep(200 * 2 ** attempt);
    }
  }
}

function pruneOnce(pool: pg.Pool, before: number): Promise<{ counts: PruneCounts; dropped: string[] }> {
  return inTransaction(pool, async (db) => {
    // Waiting for the lock holds every later reader and writer of the tables behind it: not for long.
    await db.query("SET LOCAL lock_timeout = '10s'");
    await db.query('LOCK TABLE log_entries, log_messages IN ACCESS EXCLUSIVE MODE');
    const counts = await pgCountPrunable(db, before);
    const gone = (p: Partition) => p.upper <= before;
    const messageParts = (await partitions(db, 'log_messages')).filter(gone);
    const entryParts = (await partitions(db, 'log_entries')).filter(gone);
    // The ledger rows reference the entries: out of the way first, so that the partitions can go.
    await db.query('DELETE FROM ledger_entries WHERE timestamp < $1', [before]);
    // Detached before the drop: the foreign keys that reference log_entries (from log_messages and
    // ledger_entries) depend on each of its partitions, and DETACH checks that no row references it any more.
    for (const [parent, parts] of [
      ['log_messages', messageParts],
      ['log_entries', entryParts],
    ] as const) {
      for (const p of parts) {
        await db.query(`ALTER TABLE ${parent} DETACH PARTITION ${quoted(p.name)}`);
        await db.query(`DROP TABLE ${quoted(p.name)}`);
      }
    }
    // The month the cut falls in: its older rows only.
    await db.query('DELETE FROM log_messages WHERE entry_timestamp < $1', [before]);
    await db.query('DELETE FROM log_entries WHERE timestamp < $1', [before]);
    // Parents and their split children share a date: one statement removes whole trees, and the parent_id
    // foreign key is checked at its end.
    await db.query('DELETE FROM windows WHERE date < $1', [cstDayOf(before)]);
    return { counts, dropped: [...messageParts, ...entryParts].map((p) => p.name) };
  });
}

/** The database's size in bytes. */
export async function pgDatabaseBytes(db: pg.Pool): Promise<number> {
  return n(db, 'SELECT pg_database_size(current_database()) AS n', []);
}
