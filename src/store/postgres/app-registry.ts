import type pg from 'pg';

/** The `apps` table: src/store/app-registry.ts's writer, asynchronous. */
export class PgAppRegistry {
  constructor(private readonly pool: pg.Pool) {}

  /** When each app's latest finished pass started: a pass serves the least recently run apps first. */
  async lastRunTimes(): Promise<Map<string, number>> {
    const { rows } = await this.pool.query<{ appid: string; lastRunAt: number }>(
      'SELECT appid, last_run_at AS "lastRunAt" FROM apps WHERE last_run_at IS NOT NULL',
    );
    return new Map(rows.map((r) => [r.appid, r.lastRunAt]));
  }

  /** An app's pass starts: the app is known from now on. */
  async seen(appid: string, at: number): Promise<void> {
    await this.pool.query('INSERT INTO apps (appid, first_seen_at) VALUES ($1, $2) ON CONFLICT (appid) DO NOTHING', [
      appid,
      at,
    ]);
  }

  /** An app's pass started at `startedAt` ended with `exitCode` and its first error, if any. */
  async finished(appid: string, startedAt: number, exitCode: number, error: string | null): Promise<void> {
    await this.pool.query(
      `INSERT INTO apps (appid, first_seen_at, last_run_at, last_exit, last_error) VALUES ($1, $2, $2, $3, $4)
       ON CONFLICT (appid) DO UPDATE SET last_run_at = excluded.last_run_at, last_exit = excluded.last_exit,
         last_error = excluded.last_error`,
      [appid, startedAt, exitCode, error],
    );
  }
}
