import type { Database, Statement } from 'better-sqlite3';

/** A finished run's figures, as the `runs` table keeps them. */
export interface RunRecord {
  exitCode: number;
  searchCalls: number;
  entriesNew: number;
  entriesSeen: number;
  windowsComplete: number | null;
  windowsIncomplete: number | null;
  rateLimited: number;
  /** Entries read that did not have the documented shape (stored all the same). */
  unexpectedShape: number;
  errors: number;
  message: string | null;
}

export interface RunRow extends RunRecord {
  id: number;
  command: string;
  appid: string | null;
  startedAt: number;
  finishedAt: number | null;
}

/** The `runs` table: one row per run, opened when it starts and closed with its outcome. */
export class RunHistory {
  private readonly insert: Statement;
  private readonly finish: Statement;
  private readonly latest: Statement;

  constructor(db: Database) {
    this.insert = db.prepare('INSERT INTO runs (command, appid, pid, started_at) VALUES (?, ?, ?, ?)');
    this.finish = db.prepare(`
      UPDATE runs SET finished_at = @finishedAt, exit_code = @exitCode, search_calls = @searchCalls,
        entries_new = @entriesNew, entries_seen = @entriesSeen, windows_complete = @windowsComplete,
        windows_incomplete = @windowsIncomplete, rate_limited = @rateLimited, unexpected_shape = @unexpectedShape,
        errors = @errors, message = @message
      WHERE id = @id`);
    this.latest = db.prepare(`
      SELECT id, command, appid, started_at AS startedAt, finished_at AS finishedAt, exit_code AS exitCode,
        search_calls AS searchCalls, entries_new AS entriesNew, entries_seen AS entriesSeen,
        windows_complete AS windowsComplete, windows_incomplete AS windowsIncomplete, rate_limited AS rateLimited,
        unexpected_shape AS unexpectedShape, errors, message
      FROM runs ORDER BY id DESC LIMIT ?`);
  }

  start(command: string, appid: string | null, pid: number, at: number): number {
    return Number(this.insert.run(command, appid, pid, at).lastInsertRowid);
  }

  finishRun(id: number, finishedAt: number, record: RunRecord): void {
    this.finish.run({ id, finishedAt, ...record });
  }

  recent(limit: number): RunRow[] {
    return this.latest.all(limit) as RunRow[];
  }
}
