import { existsSync, statSync } from 'node:fs';
import { appStatuses, type AppStatus } from '../app-status.js';
import { CoverageReport, type CoverageScope, type DayCoverage } from '../coverage-report.js';
import { openDatabase, type Database } from '../database.js';
import { searchMessages, type MessageHit, type MessageQuery } from '../message-search.js';
import { countPrunable, pruneEntries, reclaimSpace, type PruneCounts } from '../prune.js';
import { prepareReadOnlyQuery, QuerySqlError } from '../read-only-query.js';
import {
  DatabaseUnavailableError,
  type ProcessIdentity,
  type PruneOutcome,
  type QueryRows,
  type ReadStore,
  type ReadStoreOptions,
  type RunWithState,
  type StatusScope,
} from '../read-store.js';
import { recentRuns } from '../run-history.js';
import { lockHolder, RunLock } from '../run-lock.js';
import { runState, type LockView } from '../run-state.js';
import { storedApps } from '../stored-apps.js';
import type { CstDay } from '../../wechat/cst-day.js';

// What the file takes on disk: the database and its WAL, where recent writes live until a checkpoint.
function fileBytes(path: string): number {
  const size = (p: string): number => (existsSync(p) ? statSync(p).size : 0);
  return size(path) + size(`${path}-wal`);
}

async function* lazily<T>(rows: Iterable<T>): AsyncIterable<T> {
  yield* rows;
}

/** {@link ReadStore} over a SQLite file, through the synchronous functions of src/store/. */
export class SqliteReadStore implements ReadStore {
  private report: CoverageReport | undefined;

  private constructor(
    private readonly db: Database,
    readonly label: string,
    private readonly identity: ProcessIdentity,
    // Measured before opening: taking the lock writes to the WAL.
    private readonly bytesAtOpen: number,
  ) {}

  static open(path: string, options: ReadStoreOptions): SqliteReadStore {
    if (!existsSync(path)) {
      throw new DatabaseUnavailableError(
        `no database at ${path}; run \`wxlog run\` first, or point --db or WXLOG_DB at the file`,
      );
    }
    const bytes = fileBytes(path);
    const { db } = openDatabase(path, { readonly: options.writable !== true });
    return new SqliteReadStore(db, path, options.process, bytes);
  }

  query(sql: string): Promise<QueryRows> {
    let query;
    let rows;
    try {
      query = prepareReadOnlyQuery(this.db, sql);
      // A statement without rows (ATTACH, BEGIN) runs here, and can fail here: an ATTACH of no such file.
      rows = query.rows();
    } catch (e: unknown) {
      throw asSqlError(e);
    }
    // The rows are read as they are printed; SQLite's complaints while stepping are the SQL's too.
    return Promise.resolve({
      columns: query.columns,
      rows: lazily({
        *[Symbol.iterator]() {
          try {
            yield* rows;
          } catch (e: unknown) {
            throw asSqlError(e);
          }
        },
      }),
    });
  }

  storedApps(): Promise<string[]> {
    return Promise.resolve(storedApps(this.db));
  }

  search(query: MessageQuery): Promise<MessageHit[]> {
    return Promise.resolve(searchMessages(this.db, query));
  }

  days(scope: CoverageScope, days: readonly CstDay[]): Promise<DayCoverage[]> {
    return Promise.resolve(this.coverage().days(scope, days));
  }

  entriesBefore(scope: CoverageScope, before: number): Promise<number> {
    return Promise.resolve(this.coverage().entriesBefore(scope, before));
  }

  recentRuns(limit: number, appid: string | undefined, nowSeconds: number): Promise<RunWithState[]> {
    const lock = this.lockView();
    return Promise.resolve(
      recentRuns(this.db, limit, appid).map((run) => ({ ...run, state: runState(run, lock, nowSeconds) })),
    );
  }

  appStatuses(scope: StatusScope): Promise<AppStatus[]> {
    return Promise.resolve(appStatuses(this.db, { ...scope, lock: this.lockView() }));
  }

  countPrunable(before: number): Promise<PruneCounts> {
    return Promise.resolve(countPrunable(this.db, before));
  }

  prune(before: number, command: string): Promise<PruneOutcome> {
    const { pid, hostname, isAlive, now } = this.identity;
    const lock = new RunLock(this.db, { pid, hostname, command, now, isAlive });
    const attempt = lock.tryAcquire();
    if (!attempt.acquired) return Promise.resolve({ pruned: false, holder: attempt.holder });
    try {
      const counts = pruneEntries(this.db, before);
      reclaimSpace(this.db);
      return Promise.resolve({
        pruned: true,
        counts,
        partitionsDropped: [],
        measured: 'file',
        bytesBefore: this.bytesAtOpen,
        bytesAfter: fileBytes(this.label),
      });
    } finally {
      lock.release();
    }
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }

  private coverage(): CoverageReport {
    this.report ??= new CoverageReport(this.db);
    return this.report;
  }

  // The lock as RunLock judges it: a holder on this host by its pid, one elsewhere by its heartbeat.
  private lockView(): LockView {
    const holder = lockHolder(this.db);
    return holder !== undefined && holder.hostname === this.identity.hostname
      ? { holder, holderAlive: this.identity.isAlive(holder.pid) }
      : { holder };
  }
}

// SQLite's complaints (syntax, no such table, a write refused) are the user's to fix.
function asSqlError(e: unknown): unknown {
  const code = (e as { code?: unknown }).code;
  if (code === 'SQLITE_READONLY') return new QuerySqlError(`query is read-only: ${(e as Error).message}`, { cause: e });
  if (typeof code === 'string' && code.startsWith('SQLITE_'))
    return new QuerySqlError((e as Error).message, { cause: e });
  return e;
}
