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

/** Entries deleted a statement in the month the cut falls in (their messages and ledger rows with them). */
export const PRUNE_BATCH_ENTRIES = 5000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const busy = (e: unknown): string | undefined => {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && BUSY.has(code) ? code : undefined;
};

/** `step`, tried again while it meets the writers' locks, up to {@link TRIES} times; then `giveUp(code)` is thrown. */
async function retried<T>(step: () => Promise<T>, giveUp: (code: string, cause: unknown) => Error): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (e: unknown) {
      const code = busy(e);
      if (code === undefined) throw e;
      if (attempt >= TRIES) throw giveUp(code, e);
      await sleep(200 * 2 ** attempt);
    }
  }
}

const why = (code: string): string => (code === '40P01' ? 'a deadlock' : 'the lock timeout');

export interface PgPruneOptions {
  /** Entries deleted a statement in the month the cut falls in (default {@link PRUNE_BATCH_ENTRIES}). */
  batchEntries?: number;
}

/**
 * Deletes every entry logged before `before` (a CST midnight) while workers may go on writing pages
 * (docs/postgres.md, "Partitions"). Each month partition that ends by then is dropped whole (the messages'
 * first, which reference the entries'), in one short transaction that locks log_entries and then
 * log_messages, the order a page's transaction takes them in: taken the other way round, as detaching the
 * messages' partitions first did, a prune and a page each held one table and waited for the other, and
 * PostgreSQL ended one of them as a deadlock. That transaction, when it still meets one (a reader's join may
 * lock the tables the other way) or waits longer than the lock timeout, starts again, up to {@link TRIES}
 * times, then throws DatabaseUnavailableError having pruned nothing.
 *
 * The rows of the month the cut falls in are then deleted a batch of entries at a time, each with its
 * messages and ledger rows in one statement that locks only the rows it deletes: pages and reads go on
 * meanwhile, where one transaction locking the tables held every worker for as long as a month's rows took to
 * delete. The coverage windows of the days removed go last. A prune stopped half way has removed only rows
 * older than the cut, and the next one finishes it. Returns the counts (taken first) and the partitions dropped.
 */
export async function pgPrune(
  pool: pg.Pool,
  before: number,
  options: PgPruneOptions = {},
): Promise<{ counts: PruneCounts; dropped: string[] }> {
  const batch = options.batchEntries ?? PRUNE_BATCH_ENTRIES;
  if (!Number.isInteger(batch) || batch < 1)
    throw new RangeError(`Expected \`batchEntries\` to be an integer >= 1, got ${batch}`);
  const counts = await pgCountPrunable(pool, before);
  const dropped = await retried(
    () => dropWholeMonths(pool, before),
    (code, cause) =>
      new DatabaseUnavailableError(
        `cannot prune now: other sessions kept the log tables locked through ${TRIES} tries ` +
          `(${why(code)} each time); nothing was pruned, try again`,
        { cause },
      ),
  );
  for (;;) {
    const deleted = await retried(
      () => deleteOlderRows(pool, before, batch),
      (code, cause) =>
        new DatabaseUnavailableError(
          `cannot finish the prune: deleting the rows before the cut met ${why(code)} ${TRIES} times; ` +
            `${dropped.length > 0 ? 'the whole months were dropped, ' : ''}run it again to finish`,
          { cause },
        ),
    );
    if (deleted < batch) break;
  }
  // Parents and their split children share a date: one statement removes whole trees, and the parent_id
  // foreign key is checked at its end.
  await pool.query('DELETE FROM windows WHERE date < $1', [cstDayOf(before)]);
  return { counts, dropped };
}

/** Detaches and drops every month partition that ends by `before`, in one transaction; returns their names. */
function dropWholeMonths(pool: pg.Pool, before: number): Promise<string[]> {
  return inTransaction(pool, async (db) => {
    const gone = (p: Partition) => p.upper <= before;
    const messageParts = (await partitions(db, 'log_messages')).filter(gone);
    const entryParts = (await partitions(db, 'log_entries')).filter(gone);
    if (messageParts.length === 0 && entryParts.length === 0) return [];
    // Waiting for the lock holds every later reader and writer of the tables behind it: not for long.
    await db.query("SET LOCAL lock_timeout = '10s'");
    await db.query('LOCK TABLE log_entries, log_messages IN ACCESS EXCLUSIVE MODE');
    // The ledger rows reference the entries: out of the way first, so that the partitions can go.
    const upper = Math.max(...[...messageParts, ...entryParts].map((p) => p.upper));
    await db.query('DELETE FROM ledger_entries WHERE timestamp < $1', [upper]);
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
    return [...messageParts, ...entryParts].map((p) => p.name);
  });
}

// Up to $2 entries logged before $1, with their messages and filtered-ledger rows: one statement, so that
// the messages never outlive their entry. What is left of the entries' foreign-key cascade finds nothing.
const DELETE_OLDER = `
  WITH batch AS (
    SELECT timestamp, id FROM log_entries WHERE timestamp < $1 ORDER BY timestamp LIMIT $2
  ), messages AS (
    DELETE FROM log_messages m USING batch b WHERE m.entry_timestamp = b.timestamp AND m.entry_id = b.id
  ), ledger AS (
    DELETE FROM ledger_entries l USING batch b WHERE l.timestamp = b.timestamp AND l.entry_id = b.id
  )
  DELETE FROM log_entries e USING batch b WHERE e.timestamp = b.timestamp AND e.id = b.id`;

/** One batch of {@link DELETE_OLDER}; returns the entries it deleted. */
async function deleteOlderRows(pool: pg.Pool, before: number, batch: number): Promise<number> {
  const result = await pool.query(DELETE_OLDER, [before, batch]);
  return result.rowCount ?? 0;
}

/** The database's size in bytes. */
export async function pgDatabaseBytes(db: pg.Pool): Promise<number> {
  return n(db, 'SELECT pg_database_size(current_database()) AS n', []);
}
