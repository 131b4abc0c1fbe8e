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

/** One row of the run history, for `wxlog status`. */
export interface RunSummary {
  id: number;
  command: string;
  appid: string | null;
  startedAt: number;
  finishedAt: number | null;
  exitCode: number | null;
  searchCalls: number;
  entriesNew: number;
  errors: number;
  message: string | null;
}

// Newest first by start, ties by id: the order `wxlog status` shows.
const LATEST_RUNS = `
  SELECT id, command, appid, started_at AS startedAt, finished_at AS finishedAt, exit_code AS exitCode,
         search_calls AS searchCalls, entries_new AS entriesNew, errors, message
  FROM runs ORDER BY started_at DESC, id DESC LIMIT ?`;

/**
 * The `runs` table: one row per run, opened when it starts and closed with its outcome. Every statement
 * on the table is in this file; the readers below need no writable database.
 */
export class RunHistory {
  private readonly insert: Statement;
  private readonly finish: Statement;

  constructor(db: Database) {
    this.insert = db.prepare('INSERT INTO runs (command, appid, pid, worker, started_at) VALUES (?, ?, ?, ?, ?)');
    this.finish = db.prepare(`
      UPDATE runs SET finished_at = @finishedAt, exit_code = @exitCode, search_calls = @searchCalls,
        entries_new = @entriesNew, entries_seen = @entriesSeen, windows_complete = @windowsComplete,
        windows_incomplete = @windowsIncomplete, rate_limited = @rateLimited, unexpected_shape = @unexpectedShape,
        errors = @errors, message = @message
      WHERE id = @id`);
  }

  /** Opens a run's row; `worker` names the process, `host:pid`. */
  start(command: string, appid: string | null, pid: number, at: number, worker = `unknown:${pid}`): number {
    return Number(this.insert.run(command, appid, pid, worker, at).lastInsertRowid);
  }

  finishRun(id: number, finishedAt: number, record: RunRecord): void {
    this.finish.run({ id, finishedAt, ...record });
  }
}

/** The latest `limit` runs, newest first. */
export function latestRuns(db: Database, limit: number): RunSummary[] {
  return db.prepare(LATEST_RUNS).all(limit) as RunSummary[];
}

/** The distinct commands (`run`, `daemon`, `demo`, …) the `runs` table has recorded, sorted. */
export function runCommands(db: Database): string[] {
  const rows = db.prepare('SELECT DISTINCT command FROM runs ORDER BY command').all() as { command: string }[];
  return rows.map((r) => r.command);
}
