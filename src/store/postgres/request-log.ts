import type pg from 'pg';
import { inTransaction } from './connection.js';

/**
 * Send times of userlog_search requests, shared by every worker exporting into the database:
 * src/store/request-log.ts, asynchronous and safe across processes and machines (docs/postgres.md,
 * "Rate budget").
 */
export class PgRequestLog {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Records a request at `nowMs` if fewer than `limit` were recorded in the `spanMs` before it; otherwise
   * records nothing and returns how many milliseconds to wait before trying again. The app's row in
   * rate_budgets is locked FOR UPDATE by the transaction that counts and records, so workers taking from one
   * app's budget take turns: two cannot both take the last slot.
   */
  async tryTake(appid: string, nowMs: number, limit: number, spanMs: number): Promise<number> {
    // Created outside the transaction below: its ON CONFLICT then never waits on another taker's insert.
    await this.pool.query({
      name: 'wxlog_budget_row',
      text: 'INSERT INTO rate_budgets (appid) VALUES ($1) ON CONFLICT DO NOTHING',
      values: [appid],
    });
    return inTransaction(this.pool, async (db) => {
      await db.query({
        name: 'wxlog_budget_lock',
        text: 'SELECT appid FROM rate_budgets WHERE appid = $1 FOR UPDATE',
        values: [appid],
      });
      const { rows } = await db.query<{ at: number }>({
        name: 'wxlog_budget_nth_newest',
        text: `SELECT at_ms AS at FROM search_requests WHERE appid = $1 AND at_ms > $2
               ORDER BY at_ms DESC LIMIT 1 OFFSET $3`,
        values: [appid, nowMs - spanMs, limit - 1],
      });
      const blocking = rows[0];
      if (blocking) return blocking.at + spanMs - nowMs + 1;
      await db.query({
        name: 'wxlog_budget_take',
        text: 'INSERT INTO search_requests (appid, at_ms) VALUES ($1, $2)',
        values: [appid, nowMs],
      });
      return 0;
    });
  }

  /** Forgets send times older than `beforeMs` (they can no longer constrain anything). */
  async pruneBefore(beforeMs: number): Promise<void> {
    await this.pool.query('DELETE FROM search_requests WHERE at_ms < $1', [beforeMs]);
  }

  /** Send times since `sinceMs`, oldest first. */
  async since(appid: string, sinceMs: number): Promise<number[]> {
    const { rows } = await this.pool.query<{ at: number }>(
      'SELECT at_ms AS at FROM search_requests WHERE appid = $1 AND at_ms >= $2 ORDER BY at_ms',
      [appid, sinceMs],
    );
    return rows.map((r) => r.at);
  }
}
