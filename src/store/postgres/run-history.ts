import type pg from 'pg';
import type { RunRecord } from '../run-history.js';

/** The `runs` table: src/store/run-history.ts's writer, asynchronous. */
export class PgRunHistory {
  constructor(private readonly pool: pg.Pool) {}

  /** Opens a run's row; `worker` names the process, `host:pid`. */
  async start(
    command: string,
    appid: string | null,
    pid: number,
    at: number,
    worker = `unknown:${pid}`,
  ): Promise<number> {
    const { rows } = await this.pool.query<{ id: number }>(
      'INSERT INTO runs (command, appid, pid, worker, started_at) VALUES ($1, $2, $3, $4, $5) RETURNING id',
      [command, appid, pid, worker, at],
    );
    return rows[0]!.id;
  }

  async finishRun(id: number, finishedAt: number, r: RunRecord): Promise<void> {
    await this.pool.query(
      `UPDATE runs SET finished_at = $2, exit_code = $3, search_calls = $4, entries_new = $5, entries_seen = $6,
         windows_complete = $7, windows_incomplete = $8, rate_limited = $9, unexpected_shape = $10, errors = $11,
         message = $12
       WHERE id = $1`,
      [
        id,
        finishedAt,
        r.exitCode,
        r.searchCalls,
        r.entriesNew,
        r.entriesSeen,
        r.windowsComplete,
        r.windowsIncomplete,
        r.rateLimited,
        r.unexpectedShape,
        r.errors,
        r.message,
      ],
    );
  }
}
