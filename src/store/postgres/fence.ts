/**
 * Writes fenced by an app's lease (docs/postgres.md, "Leases and fencing"): a write stores something only
 * while the lease row (./leases.ts) still has the writer's worker and epoch, and otherwise throws
 * LeaseLostError having stored nothing. The lease row is read FOR SHARE in the write's own statement or
 * transaction, so the lease cannot be taken over between the check and the commit.
 */
import type pg from 'pg';
import { inTransaction, type Queryable } from './connection.js';
import { LeaseLostError } from './lease-lost-error.js';

/**
 * The lease a store's writes of one app are fenced by (`PgStore.fencedBy`): each write stores something
 * only while the app's lease row still has this worker and epoch.
 */
export interface AppFence {
  appid: string;
  worker: string;
  epoch: number;
}

/**
 * The fence, inside a writing transaction (`db` is its client): throws LeaseLostError unless the app's
 * lease still has this worker and epoch. FOR SHARE holds the row until the transaction ends, so the lease
 * cannot be taken over between this check and the commit (a taker's FOR UPDATE SKIP LOCKED passes it by).
 */
export async function checkFence(db: Queryable, appid: string, worker: string, epoch: number): Promise<void> {
  const { rows } = await db.query({
    name: 'wxlog_lease_fence',
    text: 'SELECT 1 FROM leases WHERE appid = $1 AND worker = $2 AND epoch = $3 FOR SHARE',
    values: [appid, worker, epoch],
  });
  if (rows.length === 0) throw new LeaseLostError(appid, worker, epoch);
}

/**
 * Runs `work` in one transaction on a client of `pool`, fenced first by `fence` when there is one
 * (`checkFence`: the transaction's first statement, so nothing is written once the lease moved).
 */
export function inFencedTransaction<T>(
  pool: pg.Pool,
  fence: AppFence | undefined,
  work: (db: pg.PoolClient) => Promise<T>,
): Promise<T> {
  return inTransaction(pool, async (db) => {
    if (fence) await checkFence(db, fence.appid, fence.worker, fence.epoch);
    return work(db);
  });
}

/**
 * One write of one statement, fenced by `fence` when there is one, still in one statement (one round
 * trip, no transaction of its own). `write(held)` is an UPDATE or INSERT … SELECT without RETURNING, that
 * writes only where the SQL condition `held` is true: `true` unfenced; fenced, whether the lease row (read
 * FOR SHARE in the same statement, so held until it commits) still has the fence's worker and epoch.
 * `values` are the statement's parameters, the fence's are added after them. Returns the rows written;
 * throws LeaseLostError, having written nothing, when the lease moved.
 */
export async function writeFenced(
  pool: pg.Pool,
  fence: AppFence | undefined,
  write: (held: string) => string,
  values: readonly unknown[],
  name?: string,
): Promise<number> {
  if (!fence) {
    const result = await pool.query({ ...(name ? { name } : {}), text: write('true'), values: [...values] });
    return result.rowCount ?? 0;
  }
  const n = values.length;
  // The fence's CTE is referenced twice, so it is evaluated once: the write and the answer see the same row.
  const text = `WITH wxlog_fence AS (
      SELECT 1 FROM leases WHERE appid = $${n + 1} AND worker = $${n + 2} AND epoch = $${n + 3} FOR SHARE
    ), wxlog_write AS (${write('EXISTS (SELECT 1 FROM wxlog_fence)')} RETURNING 1)
    SELECT (SELECT count(*) FROM wxlog_fence)::int AS held, (SELECT count(*) FROM wxlog_write)::int AS written`;
  const { rows } = await pool.query<{ held: number; written: number }>({
    ...(name ? { name: `${name}_fenced` } : {}),
    text,
    values: [...values, fence.appid, fence.worker, fence.epoch],
  });
  const row = rows[0]!;
  if (row.held === 0) throw new LeaseLostError(fence.appid, fence.worker, fence.epoch);
  return row.written;
}

/**
 * As {@link writeFenced}, for a write whose rows come back: `write(held)` ends in `RETURNING` the columns
 * wanted. Returns the rows written; throws LeaseLostError, having written nothing, when the lease moved.
 */
export async function writeFencedRows<T extends object>(
  pool: pg.Pool,
  fence: AppFence | undefined,
  write: (held: string) => string,
  values: readonly unknown[],
  name: string,
): Promise<T[]> {
  if (!fence) {
    const { rows } = await pool.query<T>({ name, text: write('true'), values: [...values] });
    return rows;
  }
  const n = values.length;
  // One row whatever was written: the fence's answer, with the written row's columns beside it (null if none).
  const text = `WITH wxlog_fence AS (
      SELECT 1 FROM leases WHERE appid = $${n + 1} AND worker = $${n + 2} AND epoch = $${n + 3} FOR SHARE
    ), wxlog_write AS (${write('EXISTS (SELECT 1 FROM wxlog_fence)')}, 1 AS wxlog_written)
    SELECT (SELECT count(*) FROM wxlog_fence)::int AS wxlog_held, w.* FROM (VALUES (1)) AS one LEFT JOIN wxlog_write w ON true`;
  const { rows } = await pool.query<T & { wxlog_held: number; wxlog_written: number | null }>({
    name: `${name}_fenced`,
    text,
    values: [...values, fence.appid, fence.worker, fence.epoch],
  });
  if (rows[0]?.wxlog_held !== 1) throw new LeaseLostError(fence.appid, fence.worker, fence.epoch);
  return rows
    .filter((r) => r.wxlog_written === 1)
    .map(({ wxlog_held: _held, wxlog_written: _written, ...row }) => row as unknown as T);
}

/** Refuses a write of another app than the lease's: a fenced store writes its own app only. */
export function checkFencedApp(fence: AppFence | undefined, appid: string): void {
  if (fence && fence.appid !== appid)
    throw new RangeError(`a store fenced by the lease on ${fence.appid} cannot write ${appid}`);
}
