import type { CstDay } from '../wechat/cst-day.js';
import type { AppStatus } from './app-status.js';
import type { CoverageScope, DayCoverage } from './coverage-report.js';
import type { MessageHit, MessageQuery } from './message-search.js';
import { isPostgresUrl } from './database-url.js';
import type { PruneCounts } from './prune.js';
import type { QueryValue } from './read-only-query.js';
import type { LockHolder } from './run-lock.js';
import type { RunRow } from './run-history.js';
import type { RunState } from './run-state.js';

/** The rows of one read-only statement: its column names, then its rows as they are read. */
export interface QueryRows {
  columns: string[];
  rows: AsyncIterable<QueryValue[]>;
}

/** A run with what became of it (running, interrupted, ok, …) as the engine's lock or lease tells. */
export type RunWithState = RunRow & { state: RunState };

/** What `wxlog status --app` and the table of apps report on. */
export interface StatusScope {
  appids: readonly string[];
  /** The ledger's filter key (`''` for an unfiltered export). */
  filterKey: string;
  /** CST days of the lookback, in the order each app's `days` should list them. */
  days: readonly CstDay[];
  nowSeconds: number;
}

/** What {@link ReadStore.prune} did: nothing while another process holds a SQLite file's lock. */
export type PruneOutcome =
  | { pruned: false; holder: LockHolder }
  | {
      pruned: true;
      counts: PruneCounts;
      /** PostgreSQL: the month partitions dropped whole (`log_entries_p202508`, …). */
      partitionsDropped: string[];
      /** What was measured: a SQLite `file` and its WAL, or a PostgreSQL `database`. */
      measured: 'file' | 'database';
      /** Its size before and after, in bytes. */
      bytesBefore: number;
      bytesAfter: number;
    };

/** The process asking, for the SQLite lock: who it is and how to tell whether another process lives. */
export interface ProcessIdentity {
  pid: number;
  hostname: string;
  isAlive: (pid: number) => boolean;
  /** Unix milliseconds. */
  now: () => number;
}

/**
 * A wxlog database as the commands that only read it (and `prune`) see it, whichever the engine. Nothing
 * outside src/store needs to know which one it is.
 */
export interface ReadStore {
  /** The database as messages name it: the SQLite path, or the URL with its password masked. */
  readonly label: string;
  /**
   * Runs one SQL statement that cannot write: a write, or more than one statement, throws
   * `QueryRefusedError`; an error in the SQL itself (syntax, no such table) `QuerySqlError`.
   */
  query(sql: string): Promise<QueryRows>;
  /** Every app the database holds, sorted. */
  storedApps(): Promise<string[]>;
  /** Messages containing the text, newest first. */
  search(query: MessageQuery): Promise<MessageHit[]>;
  /** Coverage of `days` (YYYYMMDD), in the order given. */
  days(scope: CoverageScope, days: readonly CstDay[]): Promise<DayCoverage[]>;
  /** Entries of the scope stored with a timestamp before `before` (unix seconds). */
  entriesBefore(scope: CoverageScope, before: number): Promise<number>;
  /** The latest `limit` runs, newest first, of every app or of `appid`. */
  recentRuns(limit: number, appid: string | undefined, nowSeconds: number): Promise<RunWithState[]>;
  /** Each app's state, trouble first. */
  appStatuses(scope: StatusScope): Promise<AppStatus[]>;
  /** What {@link prune} would remove. */
  countPrunable(before: number): Promise<PruneCounts>;
  /** Deletes every entry logged before `before` (a CST midnight, unix seconds) and gives the space back. */
  prune(before: number, command: string): Promise<PruneOutcome>;
  close(): Promise<void>;
}

export interface ReadStoreOptions {
  /** Open for `prune` (SQLite opens read-only otherwise). */
  writable?: boolean;
  process: ProcessIdentity;
}

/**
 * Opens the database of `db` (the resolved `db` setting: a SQLite path or a `postgres://` URL) for the
 * commands that work on stored data. It is never created: a missing SQLite file, or a PostgreSQL server that
 * cannot be reached, throws {@link DatabaseUnavailableError}; a newer schema `SchemaError`.
 */
export async function openReadStore(db: string, options: ReadStoreOptions): Promise<ReadStore> {
  if (isPostgresUrl(db)) {
    const { PgReadStore } = await import('./postgres/pg-read-store.js');
    return PgReadStore.open(db);
  }
  const { SqliteReadStore } = await import('./sqlite/sqlite-read-store.js');
  return SqliteReadStore.open(db, options);
}

/** The database of a read command is not there: no such SQLite file, no PostgreSQL server or database. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}
