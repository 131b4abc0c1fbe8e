import type pg from 'pg';
import { LeaseLostError } from './lease-lost-error.js';
import { checkFencedApp, writeFenced, type AppFence } from './fence.js';

/**
 * The `apps` table: src/store/app-registry.ts's writer, asynchronous. With `fence` (a store from
 * PgStore.fencedBy), `finished` is fenced by the app's lease and skipped quietly once the lease moved: the
 * row is then the new holder's to write (docs/postgres.md, "Leases and fencing").
 */
export class PgAppRegistry {
  constructor(
    private readonly pool: pg.Pool,
    private readonly fence?: AppFence,
  ) {}

  /** When each app's latest finished pass started: a pass serves the least recently run apps first. */
  async lastRunTimes(): Promise<Map<string, number>> {
    const { rows } = await this.pool.query<{ appid: string; lastRunAt: number }>(
      'SELECT appid, last_run_at AS "lastRunAt" FROM apps WHERE last_run_at IS NOT NULL',
    );
    return new Map(rows.map((r) => [r.appid, r.lastRunAt]));
  }

  /**
   * An app's pass starts: the app is known from now on. Never fenced: it only adds a row that is missing,
   * and overwrites nothing.
   */
  async seen(appid: string, at: number): Promise<void> {
    await this.pool.query('INSERT INTO apps (appid, first_seen_at) VALUES ($1, $2) ON CONFLICT (appid) DO NOTHING', [
      appid,
      at,
    ]);
  }

  /**
   * An app's pass started at `startedAt` ended with `exitCode` and its first error, if any. Fenced, and the
   * lease lost, nothing is written (the pass's own `runs` row still says how it ended).
   */
  async finished(appid: string, startedAt: number, exitCode: number, error: string | null): Promise<void> {
    checkFencedApp(this.fence, appid);
    try {
      await writeFenced(
        this.pool,
        this.fence,
        (held) =>
          `INSERT INTO apps (appid, first_seen_at, last_run_at, last_exit, last_error)
           SELECT $1::text, $2::bigint, $2::bigint, $3::int, $4::text WHERE ${held}
           ON CONFLICT (appid) DO UPDATE SET last_run_at = excluded.last_run_at, last_exit = excluded.last_exit,
             last_error = excluded.last_error`,
        [appid, startedAt, exitCode, error],
      );
    } catch (e: unknown) {
      if (!(e instanceof LeaseLostError)) throw e;
    }
  }
}
