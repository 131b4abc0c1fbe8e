import type pg from 'pg';

/**
 * Send times of userlog_search requests, shared by every worker exporting into the database:
 * src/store/request-log.ts, asynchronous and safe across processes and machines (docs/postgres.md,
 * "Rate budget").
 */
export class PgRequestLog {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Records a request at `nowMs` if fewer than `limit` were recorded in the `spanMs` before it; otherwise
   * records nothing and returns how many milliseconds to wait before trying again. One statement, its own
   * transaction: wxlog_take_search_slot (migrations/postgres/0002) locks the app's rate_budgets row FOR
   * UPDATE before it counts and records, so workers taking from one app's budget take turns: two cannot
   * both take the last slot.
   */
  async tryTake(appid: string, nowMs: number, limit: number, spanMs: number): Promise<number> {
    const { rows } = await this.pool.query<{ wait: number }>({
      name: 'wxlog_budget_take',
      text: 'SELECT wxlog_take_search_slot($1, $2, $3, $4) AS wait',
      values: [appid, nowMs, limit, spanMs],
    });
    const wait = rows[0]?.wait;
    if (typeof wait !== 'number') throw new Error('wxlog_take_search_slot returned no wait');
    return wait;
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
