import type pg from 'pg';
import { cstDayBounds } from '../../wechat/cst-day.js';
import type { WindowCheck, WindowRow } from '../window-ledger.js';
import type { Queryable } from './connection.js';
import { checkFencedApp, inFencedTransaction, writeFenced, writeFencedRows, type AppFence } from './fence.js';

const COLUMNS = `id, appid, filter_key AS "filterKey", date, begintime, endtime, parent_id AS "parentId", status,
  server_total AS "serverTotal", stored_count AS "storedCount", next_start AS "nextStart", read_total AS "readTotal",
  checked_at AS "checkedAt", completed_at AS "completedAt", expired_at AS "expiredAt", note`;

// `held` is the fence's condition (writeFenced in ./fence.ts), `true` where the write is not fenced.
const insert = (held: string): string => `
  INSERT INTO windows (appid, filter_key, date, begintime, endtime, parent_id, status)
  SELECT $1::text, $2::text, $3::text, $4::bigint, $5::bigint, $6::bigint, 'pending' WHERE ${held}
  ON CONFLICT (appid, filter_key, begintime, endtime) DO UPDATE SET parent_id = excluded.parent_id
  RETURNING ${COLUMNS}`;

const INSERT = insert('true');

// `own` limits the write to one app's window (PgWindowLedger's `own`, or the page's app below); '' to any window.
const progress = (held: string, own = ''): string => `
  UPDATE windows SET next_start = $1, read_total = $2, server_total = $3, checked_at = $4,
    status = CASE WHEN status = 'complete' THEN 'incomplete' ELSE status END
  WHERE id = $5${own} AND ${held}`;

const PROGRESS_OF_APP = progress('true', ' AND appid = $6');

/**
 * Records how far a read got, on `db`: what savePage does in the page's transaction (fenced already when
 * the store is). Only in a window of `appid`, the page's app: another app's window is left as it is.
 */
export async function recordProgressOn(
  db: Queryable,
  appid: string,
  id: number,
  nextStart: number,
  readTotal: number,
  serverTotal: number,
  at: number,
): Promise<void> {
  await db.query({
    name: 'wxlog_window_progress_of_app',
    text: PROGRESS_OF_APP,
    values: [nextStart, readTotal, serverTotal, at, id, appid],
  });
}

/**
 * The coverage ledger in PostgreSQL: src/store/window-ledger.ts's methods, asynchronous, with the same
 * statements. Multi-statement changes (split, markUnavailable) run in one transaction each. With `fence`
 * (a store from PgStore.fencedBy), every write is fenced by the app's lease: a single statement carries the
 * fence in itself (writeFenced), a transaction checks it first (inFencedTransaction); either throws
 * LeaseLostError and writes nothing once the lease moved. The writes addressed by a window's id change only a
 * window of the fenced app: another app's is left as it is, and `split` of one throws. Reads are never fenced.
 */
export class PgWindowLedger {
  constructor(
    private readonly pool: pg.Pool,
    private readonly fence?: AppFence,
  ) {}

  /**
   * The condition of a write addressed by a window's id that the window is the fenced app's, its parameter
   * added to `values`; '' when the ledger is not fenced.
   */
  private own(values: unknown[]): string {
    if (!this.fence) return '';
    values.push(this.fence.appid);
    return ` AND appid = $${values.length}`;
  }

  async get(id: number): Promise<WindowRow> {
    return getWindow(this.pool, id);
  }

  /**
   * The top-level window of a day, created (covering the whole CST day) when the day is new. Fenced, a day
   * already known costs the one read; creating it is one fenced statement.
   */
  async dayRoot(
    appid: string,
    filterKey: string,
    date: string,
    begintime: number,
    endtime: number,
  ): Promise<WindowRow> {
    if (!this.fence) return dayRoot(this.pool, appid, filterKey, date, begintime, endtime);
    checkFencedApp(this.fence, appid);
    const known = await findDayRoot(this.pool, appid, filterKey, date);
    if (known) return known;
    // Only the lease's holder writes the app's windows, so nobody can have made the day since the read.
    const [root] = await writeFencedRows<WindowRow>(
      this.pool,
      this.fence,
      insert,
      [appid, filterKey, date, begintime, endtime, null],
      'wxlog_window_insert',
    );
    return root!;
  }

  async children(id: number): Promise<WindowRow[]> {
    const { rows } = await this.pool.query<WindowRow>({
      name: 'wxlog_window_children',
      text: `SELECT ${COLUMNS} FROM windows WHERE parent_id = $1 ORDER BY begintime`,
      values: [id],
    });
    return rows;
  }

  /** Entries stored in [begintime, endtime] for this ledger: what the server's total must be matched by. */
  async countStored(appid: string, filterKey: string, begintime: number, endtime: number): Promise<number> {
    const { rows } =
      filterKey === ''
        ? await this.pool.query<{ n: number }>({
            name: 'wxlog_count_stored',
            text: 'SELECT count(*) AS n FROM log_entries WHERE appid = $1 AND timestamp BETWEEN $2 AND $3',
            values: [appid, begintime, endtime],
          })
        : await this.pool.query<{ n: number }>({
            name: 'wxlog_count_stored_filtered',
            text: `SELECT count(*) AS n FROM ledger_entries l
             JOIN log_entries e ON e.timestamp = l.timestamp AND e.id = l.entry_id
             WHERE l.filter_key = $1 AND l.timestamp BETWEEN $2 AND $3 AND e.appid = $4`,
            values: [filterKey, begintime, endtime, appid],
          });
    return rows[0]?.n ?? 0;
  }

  /** The latest second in [begintime, endtime] holding an entry this ledger stored with its own timestamp. */
  async latestStoredSecond(
    appid: string,
    filterKey: string,
    begintime: number,
    endtime: number,
  ): Promise<number | undefined> {
    // Entries filed under their window (no timestamp of their own) say nothing about a second.
    const { rows } =
      filterKey === ''
        ? await this.pool.query<{ t: number | null }>(
            `SELECT max(timestamp) AS t FROM log_entries
             WHERE appid = $1 AND timestamp BETWEEN $2 AND $3 AND window_id IS NULL`,
            [appid, begintime, endtime],
          )
        : await this.pool.query<{ t: number | null }>(
            `SELECT max(l.timestamp) AS t FROM ledger_entries l
             JOIN log_entries e ON e.timestamp = l.timestamp AND e.id = l.entry_id
             WHERE l.filter_key = $1 AND e.appid = $2 AND l.timestamp BETWEEN $3 AND $4 AND e.window_id IS NULL`,
            [filterKey, appid, begintime, endtime],
          );
    return rows[0]?.t ?? undefined;
  }

  /** Records how far a read got (savePage records a page's in the page's own transaction: recordProgressOn). */
  async recordProgress(
    id: number,
    nextStart: number,
    readTotal: number,
    serverTotal: number,
    at: number,
  ): Promise<void> {
    const values: unknown[] = [nextStart, readTotal, serverTotal, at, id];
    const own = this.own(values);
    await writeFenced(this.pool, this.fence, (held) => progress(held, own), values, 'wxlog_window_progress');
  }

  async recordCheck(id: number, check: WindowCheck): Promise<void> {
    const values: unknown[] = [id, check.status, check.serverTotal, check.storedCount, check.at, check.note ?? null];
    const own = this.own(values);
    await writeFenced(
      this.pool,
      this.fence,
      (held) =>
        `UPDATE windows SET status = $2, server_total = $3, stored_count = $4, checked_at = $5,
           completed_at = CASE WHEN $2 = 'complete' THEN coalesce(completed_at, $5) ELSE NULL END,
           next_start = CASE WHEN $2 = 'complete' THEN 0 ELSE next_start END,
           read_total = CASE WHEN $2 = 'complete' THEN NULL ELSE read_total END,
           note = $6
         WHERE id = $1${own} AND ${held}`,
      values,
      'wxlog_window_check',
    );
  }

  /** Records the server's total for a window that is split (its children carry the status). */
  async recordSplitCheck(id: number, serverTotal: number, storedCount: number | null, at: number): Promise<void> {
    const values: unknown[] = [serverTotal, storedCount, at, id];
    const own = this.own(values);
    await writeFenced(
      this.pool,
      this.fence,
      (held) =>
        `UPDATE windows SET server_total = $1, stored_count = $2, checked_at = $3 WHERE id = $4${own} AND ${held}`,
      values,
    );
  }

  /**
   * Replaces window `id` by children covering it exactly, in one transaction. `cuts` are the last
   * seconds of every child but the last, ascending, strictly inside the window.
   */
  async split(
    id: number,
    cuts: readonly number[],
    serverTotal: number | null,
    at: number,
    note: string,
  ): Promise<WindowRow[]> {
    return inFencedTransaction(this.pool, this.fence, async (db) => {
      const parent = await getWindow(db, id);
      if (this.fence && parent.appid !== this.fence.appid) {
        throw new RangeError(
          `window ${id} is ${parent.appid}'s: a store fenced by the lease of ${this.fence.appid} splits no other app's windows`,
        );
      }
      const children: WindowRow[] = [];
      let begin = parent.begintime;
      for (const cut of [...cuts, parent.endtime]) {
        if (cut < begin || cut > parent.endtime)
          throw new RangeError(`bad cut ${cut} for window ${begin}..${parent.endtime}`);
        const { rows } = await db.query<WindowRow>(INSERT, [
          parent.appid,
          parent.filterKey,
          parent.date,
          begin,
          cut,
          id,
        ]);
        children.push(rows[0]!);
        begin = cut + 1;
      }
      await db.query(
        `UPDATE windows SET status = 'split', server_total = $1, checked_at = $2, next_start = 0, read_total = NULL,
           note = $3 WHERE id = $4`,
        [serverTotal, at, note, id],
      );
      return children;
    });
  }

  /** Every window of the days from `firstDate` to `lastDate` (YYYYMMDD, inclusive). */
  async windowsForDays(appid: string, filterKey: string, firstDate: string, lastDate: string): Promise<WindowRow[]> {
    const { rows } = await this.pool.query<WindowRow>({
      name: 'wxlog_windows_for_days',
      text: `SELECT ${COLUMNS} FROM windows WHERE appid = $1 AND filter_key = $2 AND date >= $3 AND date <= $4
       ORDER BY date, begintime`,
      values: [appid, filterKey, firstDate, lastDate],
    });
    return rows;
  }

  /** The server will not serve `date`: as src/store/window-ledger.ts's markUnavailable, in one transaction. */
  async markUnavailable(appid: string, filterKey: string, date: string, at: number, note: string): Promise<void> {
    checkFencedApp(this.fence, appid);
    await inFencedTransaction(this.pool, this.fence, async (db) => {
      const { begin, end } = cstDayBounds(date);
      await dayRoot(db, appid, filterKey, date, begin, end);
      await db.query(
        `UPDATE windows SET status = 'unavailable', checked_at = $4, note = $5
         WHERE appid = $1 AND filter_key = $2 AND date = $3 AND status IN ('pending', 'incomplete', 'unavailable')`,
        [appid, filterKey, date, at, note],
      );
      await db.query(
        'UPDATE windows SET expired_at = coalesce(expired_at, $4) WHERE appid = $1 AND filter_key = $2 AND date = $3',
        [appid, filterKey, date, at],
      );
    });
  }

  /** Marks the windows of days before `oldestRetained` as out of WeChat's retention. Their data stays. */
  async expireBefore(appid: string, oldestRetained: string, at: number): Promise<number> {
    checkFencedApp(this.fence, appid);
    return writeFenced(
      this.pool,
      this.fence,
      (held) => `UPDATE windows SET expired_at = $1 WHERE appid = $2 AND date < $3 AND expired_at IS NULL AND ${held}`,
      [at, appid, oldestRetained],
    );
  }
}

async function getWindow(db: Queryable, id: number): Promise<WindowRow> {
  const { rows } = await db.query<WindowRow>({
    name: 'wxlog_window_get',
    text: `SELECT ${COLUMNS} FROM windows WHERE id = $1`,
    values: [id],
  });
  const row = rows[0];
  if (!row) throw new Error(`window ${id} does not exist`);
  return row;
}

async function dayRoot(
  db: Queryable,
  appid: string,
  filterKey: string,
  date: string,
  begintime: number,
  endtime: number,
): Promise<WindowRow> {
  const known = await findDayRoot(db, appid, filterKey, date);
  if (known) return known;
  const inserted = await db.query<WindowRow>(INSERT, [appid, filterKey, date, begintime, endtime, null]);
  return inserted.rows[0]!;
}

async function findDayRoot(
  db: Queryable,
  appid: string,
  filterKey: string,
  date: string,
): Promise<WindowRow | undefined> {
  const { rows } = await db.query<WindowRow>({
    name: 'wxlog_day_root',
    text: `SELECT ${COLUMNS} FROM windows WHERE appid = $1 AND filter_key = $2 AND date = $3 AND parent_id IS NULL
     ORDER BY begintime LIMIT 1`,
    values: [appid, filterKey, date],
  });
  return rows[0];
}
