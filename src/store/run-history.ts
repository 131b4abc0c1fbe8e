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

/** A run with the process that ran it, which tells a running run from an interrupted one. */
export interface RunRow extends RunSummary {
  /** `host:pid`; `unknown:pid` for runs recorded before migration 0006. */
  worker: string | null;
}

/** An app's latest run, and how its latest finished one ended (the last error `wxlog status` shows). */
export interface AppLatestRun {
  appid: string;
  latest: RunRow;
  lastFinished: { startedAt: number; exitCode: number | null; message: string | null } | null;
}

// The columns of RunSummary, from the runs row `r`.
function runColumns(worker: string): string {
  return `r.id, r.command, r.appid, r.started_at AS startedAt, r.finished_at AS finishedAt,
         r.exit_code AS exitCode, r.search_calls AS searchCalls, r.entries_new AS entriesNew, r.errors, r.message,
         ${worker} AS worker`;
}

// A file made before migration 0006 (read-only commands never migrate) has no worker column: the value
// 0006 would have given it.
function workerColumn(db: Database): string {
  const has = db.prepare("SELECT 1 FROM pragma_table_info('runs') WHERE name = 'worker'").get() !== undefined;
  return has ? 'r.worker' : "'unknown:' || r.pid";
}

// Newest first by start, ties by id: the order `wxlog status` shows. One app's runs come off
// runs_app_started (appid, started_at), whose entries end with the rowid, so no sort is needed.
const latestRunsSql = (worker: string, oneApp: boolean): string => `
  SELECT ${runColumns(worker)} FROM runs r ${oneApp ? 'WHERE r.appid = @appid' : ''}
  ORDER BY r.started_at DESC, r.id DESC LIMIT @limit`;

// Each app's latest run and latest finished run, one statement for any number of apps: two seeks of
// runs_app_started per app (the second walks back past unfinished runs only).
const latestPerAppSql = (worker: string): string => `
  SELECT a.value AS forApp, ${runColumns(worker)},
         f.started_at AS fStartedAt, f.exit_code AS fExitCode, f.message AS fMessage
  FROM json_each(@appids) AS a
  CROSS JOIN runs r ON r.id = (SELECT id FROM runs WHERE appid = a.value ORDER BY started_at DESC, id DESC LIMIT 1)
  LEFT JOIN runs f ON f.id = (SELECT id FROM runs WHERE appid = a.value AND finished_at IS NOT NULL
                              ORDER BY started_at DESC, id DESC LIMIT 1)`;

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

/** The latest `limit` runs, newest first: of every app, or of `appid` only. */
export function recentRuns(db: Database, limit: number, appid?: string): RunRow[] {
  return db
    .prepare(latestRunsSql(workerColumn(db), appid !== undefined))
    .all({ limit, ...(appid === undefined ? {} : { appid }) }) as RunRow[];
}

/** The latest `limit` runs of every app, newest first, without their workers. */
export function latestRuns(db: Database, limit: number): RunSummary[] {
  return recentRuns(db, limit).map(({ worker: _worker, ...run }) => run);
}

/** The latest run of each of `appids` that has one. */
export function latestRunPerApp(db: Database, appids: readonly string[]): AppLatestRun[] {
  const rows = db.prepare(latestPerAppSql(workerColumn(db))).all({ appids: JSON.stringify(appids) }) as (RunRow & {
    forApp: string;
    fStartedAt: number | null;
    fExitCode: number | null;
    fMessage: string | null;
  })[];
  return rows.map(({ forApp, fStartedAt, fExitCode, fMessage, ...latest }) => ({
    appid: forApp,
    latest,
    lastFinished: fStartedAt === null ? null : { startedAt: fStartedAt, exitCode: fExitCode, message: fMessage },
  }));
}

/** The distinct commands (`run`, `daemon`, `demo`, …) the `runs` table has recorded, sorted. */
export function runCommands(db: Database): string[] {
  const rows = db.prepare('SELECT DISTINCT command FROM runs ORDER BY command').all() as { command: string }[];
  return rows.map((r) => r.command);
}
