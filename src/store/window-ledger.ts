import type { Database, Statement } from 'better-sqlite3';
import { cstDayBounds } from '../wechat/cst-day.js';
import { StoredCount } from './stored-count.js';

/** `unavailable`: the server refused the window's day (out of its retention); see docs/real-api.md. */
export type WindowStatus = 'pending' | 'incomplete' | 'complete' | 'split' | 'unavailable';

/** One row of the `windows` coverage ledger. `begintime`/`endtime` are inclusive unix seconds. */
export interface WindowRow {
  id: number;
  appid: string;
  filterKey: string;
  date: string;
  begintime: number;
  endtime: number;
  parentId: number | null;
  status: WindowStatus;
  serverTotal: number | null;
  storedCount: number | null;
  nextStart: number;
  readTotal: number | null;
  checkedAt: number | null;
  completedAt: number | null;
  expiredAt: number | null;
  note: string | null;
}

const COLUMNS = `id, appid, filter_key AS filterKey, date, begintime, endtime, parent_id AS parentId, status,
  server_total AS serverTotal, stored_count AS storedCount, next_start AS nextStart, read_total AS readTotal,
  checked_at AS checkedAt, completed_at AS completedAt, expired_at AS expiredAt, note`;

/** The outcome of checking a window against the server. */
export interface WindowCheck {
  status: Exclude<WindowStatus, 'split' | 'unavailable'>;
  serverTotal: number;
  storedCount: number;
  at: number;
  note?: string | null;
}

/** The coverage ledger: which windows of which CST days are known complete. */
export class WindowLedger {
  private readonly byId: Statement;
  private readonly rootOf: Statement;
  private readonly childrenOf: Statement;
  private readonly insert: Statement;
  private readonly progress: Statement;
  private readonly check: Statement;
  private readonly markSplit: Statement;
  private readonly splitCheck: Statement;
  private readonly stored: StoredCount;
  private readonly forDays: Statement;
  private readonly expire: Statement;
  private readonly unavailable: Statement;
  private readonly expireDay: Statement;
  private readonly latestAll: Statement;
  private readonly latestFiltered: Statement;

  constructor(private readonly db: Database) {
    this.byId = db.prepare(`SELECT ${COLUMNS} FROM windows WHERE id = ?`);
    this.rootOf = db.prepare(
      `SELECT ${COLUMNS} FROM windows WHERE appid = ? AND filter_key = ? AND date = ? AND parent_id IS NULL ORDER BY begintime`,
    );
    this.childrenOf = db.prepare(`SELECT ${COLUMNS} FROM windows WHERE parent_id = ? ORDER BY begintime`);
    this.insert = db.prepare(`
      INSERT INTO windows (appid, filter_key, date, begintime, endtime, parent_id, status)
      VALUES (?, ?, ?, ?, ?, ?, 'pending')
      ON CONFLICT (appid, filter_key, begintime, endtime) DO UPDATE SET parent_id = excluded.parent_id
      RETURNING ${COLUMNS}`);
    this.progress = db.prepare(
      `UPDATE windows SET next_start = ?, read_total = ?, server_total = ?, checked_at = ?,
         status = CASE WHEN status = 'complete' THEN 'incomplete' ELSE status END
       WHERE id = ?`,
    );
    this.check = db.prepare(`
      UPDATE windows SET status = @status, server_total = @serverTotal, stored_count = @storedCount, checked_at = @at,
        completed_at = CASE WHEN @status = 'complete' THEN coalesce(completed_at, @at) ELSE NULL END,
        next_start = CASE WHEN @status = 'complete' THEN 0 ELSE next_start END,
        read_total = CASE WHEN @status = 'complete' THEN NULL ELSE read_total END,
        note = @note
      WHERE id = @id`);
    this.markSplit = db.prepare(
      `UPDATE windows SET status = 'split', server_total = ?, checked_at = ?, next_start = 0, read_total = NULL, note = ? WHERE id = ?`,
    );
    this.splitCheck = db.prepare('UPDATE windows SET server_total = ?, stored_count = ?, checked_at = ? WHERE id = ?');
    this.stored = new StoredCount(db);
    this.forDays = db.prepare(
      `SELECT ${COLUMNS} FROM windows WHERE appid = ? AND filter_key = ? AND date >= ? AND date <= ? ORDER BY date, begintime`,
    );
    this.unavailable = db.prepare(`
      UPDATE windows SET status = 'unavailable', checked_at = @at, note = @note
      WHERE appid = @appid AND filter_key = @filterKey AND date = @date AND status IN ('pending', 'incomplete', 'unavailable')`);
    this.expireDay = db.prepare(
      'UPDATE windows SET expired_at = coalesce(expired_at, @at) WHERE appid = @appid AND filter_key = @filterKey AND date = @date',
    );
    // Entries filed under their window (no timestamp of their own) say nothing about a second.
    this.latestAll = db.prepare(
      'SELECT max(timestamp) AS t FROM log_entries WHERE appid = ? AND timestamp BETWEEN ? AND ? AND window_id IS NULL',
    );
    this.latestFiltered = db.prepare(`
      SELECT max(l.timestamp) AS t FROM ledger_entries l JOIN log_entries e ON e.id = l.entry_id
      WHERE l.filter_key = ? AND e.appid = ? AND l.timestamp BETWEEN ? AND ? AND e.window_id IS NULL`);
    this.expire = db.prepare('UPDATE windows SET expired_at = ? WHERE appid = ? AND date < ? AND expired_at IS NULL');
  }

  get(id: number): WindowRow {
    const row = this.byId.get(id) as WindowRow | undefined;
    if (!row) throw new Error(`window ${id} does not exist`);
    return row;
  }

  /** The top-level window of a day, created (covering the whole CST day) when the day is new. */
  dayRoot(appid: string, filterKey: string, date: string, begintime: number, endtime: number): WindowRow {
    const existing = this.rootOf.get(appid, filterKey, date) as WindowRow | undefined;
    return existing ?? (this.insert.get(appid, filterKey, date, begintime, endtime, null) as WindowRow);
  }

  children(id: number): WindowRow[] {
    return this.childrenOf.all(id) as WindowRow[];
  }

  /** Entries stored in [begintime, endtime] for this ledger: what the server's total must be matched by. */
  countStored(appid: string, filterKey: string, begintime: number, endtime: number): number {
    return this.stored.ofApp(appid, filterKey, begintime, endtime);
  }

  /** The latest second in [begintime, endtime] holding an entry this ledger stored with its own timestamp. */
  latestStoredSecond(appid: string, filterKey: string, begintime: number, endtime: number): number | undefined {
    const row = (
      filterKey === ''
        ? this.latestAll.get(appid, begintime, endtime)
        : this.latestFiltered.get(filterKey, appid, begintime, endtime)
    ) as { t: number | null };
    return row.t ?? undefined;
  }

  /** Records how far a read got; call it in the same transaction as the page's entries. */
  recordProgress(id: number, nextStart: number, readTotal: number, serverTotal: number, at: number): void {
    this.progress.run(nextStart, readTotal, serverTotal, at, id);
  }

  recordCheck(id: number, check: WindowCheck): void {
    this.check.run({ id, ...check, note: check.note ?? null });
  }

  /** Records the server's total for a window that is split (its children carry the status). */
  recordSplitCheck(id: number, serverTotal: number, storedCount: number | null, at: number): void {
    this.splitCheck.run(serverTotal, storedCount, at, id);
  }

  /**
   * Replaces window `id` by children covering it exactly, in one transaction. `cuts` are the last
   * seconds of every child but the last, ascending, strictly inside the window.
   */
  split(id: number, cuts: readonly number[], serverTotal: number | null, at: number, note: string): WindowRow[] {
    return this.db.transaction(() => {
      const parent = this.get(id);
      const children: WindowRow[] = [];
      let begin = parent.begintime;
      for (const cut of [...cuts, parent.endtime]) {
        if (cut < begin || cut > parent.endtime)
          throw new RangeError(`bad cut ${cut} for window ${begin}..${parent.endtime}`);
        children.push(this.insert.get(parent.appid, parent.filterKey, parent.date, begin, cut, id) as WindowRow);
        begin = cut + 1;
      }
      this.markSplit.run(serverTotal, at, note, id);
      return children;
    })();
  }

  /** Every window of the days from `firstDate` to `lastDate` (YYYYMMDD, inclusive). */
  windowsForDays(appid: string, filterKey: string, firstDate: string, lastDate: string): WindowRow[] {
    return this.forDays.all(appid, filterKey, firstDate, lastDate) as WindowRow[];
  }

  /**
   * The server will not serve `date`: its windows not read in full become `unavailable` (a day never read
   * gets its root for that), and every window of the day is marked as out of retention. Complete windows
   * keep their status: what they hold was read in full before the day left.
   */
  markUnavailable(appid: string, filterKey: string, date: string, at: number, note: string): void {
    this.db.transaction(() => {
      const { begin, end } = cstDayBounds(date);
      this.dayRoot(appid, filterKey, date, begin, end);
      this.unavailable.run({ appid, filterKey, date, at, note });
      this.expireDay.run({ appid, filterKey, date, at });
    })();
  }

  /** Marks the windows of days before `oldestRetained` as out of WeChat's retention. Their data stays. */
  expireBefore(appid: string, oldestRetained: string, at: number): number {
    return this.expire.run(at, appid, oldestRetained).changes;
  }
}
