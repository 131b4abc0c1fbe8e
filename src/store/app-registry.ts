import type { Database, Statement } from 'better-sqlite3';

/** What `wxlog status` knows of one app from the `apps` table (docs/schema.md). */
export interface AppRow {
  appid: string;
  firstSeenAt: number;
  lastRunAt: number | null;
  lastExit: number | null;
  lastError: string | null;
}

/** The `apps` table: one row per app the database has seen, updated as each app's pass starts and ends. */
export class AppRegistry {
  private readonly seenStmt: Statement;
  private readonly finishedStmt: Statement;
  private readonly lastRunsStmt: Statement;

  constructor(db: Database) {
    this.seenStmt = db.prepare('INSERT INTO apps (appid, first_seen_at) VALUES (?, ?) ON CONFLICT (appid) DO NOTHING');
    this.finishedStmt = db.prepare(`
      INSERT INTO apps (appid, first_seen_at, last_run_at, last_exit, last_error) VALUES (@appid, @startedAt, @startedAt, @exitCode, @error)
      ON CONFLICT (appid) DO UPDATE SET last_run_at = excluded.last_run_at, last_exit = excluded.last_exit,
        last_error = excluded.last_error`);
    this.lastRunsStmt = db.prepare('SELECT appid, last_run_at AS lastRunAt FROM apps WHERE last_run_at IS NOT NULL');
  }

  /** When each app's latest finished pass started: a pass serves the least recently run apps first. */
  lastRunTimes(): Map<string, number> {
    const rows = this.lastRunsStmt.all() as { appid: string; lastRunAt: number }[];
    return new Map(rows.map((r) => [r.appid, r.lastRunAt]));
  }

  /** An app's pass starts: the app is known from now on. */
  seen(appid: string, at: number): void {
    this.seenStmt.run(appid, at);
  }

  /** An app's pass started at `startedAt` ended with `exitCode` and its first error, if any. */
  finished(appid: string, startedAt: number, exitCode: number, error: string | null): void {
    this.finishedStmt.run({ appid, startedAt, exitCode, error });
  }
}

/** Every app of the `apps` table, by AppID. */
export function listApps(db: Database): AppRow[] {
  return db
    .prepare(
      `SELECT appid, first_seen_at AS firstSeenAt, last_run_at AS lastRunAt, last_exit AS lastExit,
              last_error AS lastError
       FROM apps ORDER BY appid`,
    )
    .all() as AppRow[];
}
