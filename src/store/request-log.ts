import type { Database, Statement } from 'better-sqlite3';

/**
 * Send times of userlog_search requests, shared through the database by every process that exports
 * into it, so that a run started right after another (or after a crash) continues the same budget.
 */
export class RequestLog {
  private readonly nthNewest: Statement;
  private readonly insert: Statement;
  private readonly prune: Statement;
  private readonly between: Statement;
  private readonly take: (appid: string, nowMs: number, limit: number, spanMs: number) => number;

  constructor(db: Database) {
    this.nthNewest = db.prepare(
      'SELECT at_ms AS at FROM search_requests WHERE appid = ? AND at_ms > ? ORDER BY at_ms DESC LIMIT 1 OFFSET ?',
    );
    this.insert = db.prepare('INSERT INTO search_requests (appid, at_ms) VALUES (?, ?)');
    this.prune = db.prepare('DELETE FROM search_requests WHERE at_ms < ?');
    this.between = db.prepare('SELECT at_ms AS at FROM search_requests WHERE appid = ? AND at_ms >= ? ORDER BY at_ms');
    // IMMEDIATE: the check and the insert happen under the write lock, so two processes cannot both
    // take the last slot.
    const txn = db.transaction((appid: string, nowMs: number, limit: number, spanMs: number): number => {
      const blocking = this.nthNewest.get(appid, nowMs - spanMs, limit - 1) as { at: number } | undefined;
      if (blocking) return blocking.at + spanMs - nowMs + 1;
      this.insert.run(appid, nowMs);
      return 0;
    });
    this.take = (appid, nowMs, limit, spanMs) => txn.immediate(appid, nowMs, limit, spanMs);
  }

  /**
   * Records a request at `nowMs` if fewer than `limit` were recorded in the `spanMs` before it; otherwise
   * records nothing and returns how many milliseconds to wait before trying again.
   */
  tryTake(appid: string, nowMs: number, limit: number, spanMs: number): number {
    return this.take(appid, nowMs, limit, spanMs);
  }

  /** Forgets send times older than `beforeMs` (they can no longer constrain anything). */
  pruneBefore(beforeMs: number): void {
    this.prune.run(beforeMs);
  }

  /** Send times since `sinceMs`, oldest first. */
  since(appid: string, sinceMs: number): number[] {
    return (this.between.all(appid, sinceMs) as { at: number }[]).map((r) => r.at);
  }
}
