import type pg from 'pg';
import type { CstDay } from '../../wechat/cst-day.js';
import { appStatusOf, troubleFirst, type AppStatus } from '../app-status.js';
import type { CoverageScope, DayCoverage } from '../coverage-report.js';
import type { MessageHit, MessageQuery } from '../message-search.js';
import { SchemaError } from '../migrator.js';
import type { PruneCounts } from '../prune.js';
import {
  DatabaseUnavailableError,
  type PruneOutcome,
  type QueryRows,
  type ReadStore,
  type RunWithState,
  type StatusScope,
} from '../read-store.js';
import { databaseSecretsMask } from '../database-url.js';
import { createPool, redactDatabaseUrl } from './connection.js';
import { loadPostgresMigrations } from './migrator.js';
import { PgCoverageReport } from './pg-coverage-report.js';
import { pgSearchMessages } from './pg-message-search.js';
import { pgCountPrunable, pgDatabaseBytes, pgPrune } from './pg-prune.js';
import { pgReadOnlyQuery, QUERY_BATCH_ROWS, type PgQuery } from './pg-read-query.js';
import { pgLatestRunPerApp, pgRecentRuns, pgStoredApps } from './pg-run-reads.js';

// SQLSTATE of "relation does not exist": a database wxlog has not migrated.
const UNDEFINED_TABLE = '42P01';

export interface PgReadStoreOptions {
  /** Rows `query` fetches from the server at a time (default {@link QUERY_BATCH_ROWS}); tests make it small. */
  queryBatchRows?: number;
}

/**
 * {@link ReadStore} over a PostgreSQL database (docs/postgres.md): the reads of `query`, `search` and
 * `status`, and `prune` by month partitions. Never migrates: a database wxlog has not set up is refused.
 */
export class PgReadStore implements ReadStore {
  readonly label: string;
  private readonly coverage: PgCoverageReport;
  // Queries whose rows may not have been read to the end: each holds a connection until closed.
  private readonly queries = new Set<PgQuery>();

  private constructor(
    url: string,
    private readonly pool: pg.Pool,
    private readonly redact: (text: string) => string,
    private readonly queryBatchRows: number,
  ) {
    this.label = redactDatabaseUrl(url);
    this.coverage = new PgCoverageReport(pool);
  }

  static async open(url: string, options: PgReadStoreOptions = {}): Promise<PgReadStore> {
    const batchRows = options.queryBatchRows ?? QUERY_BATCH_ROWS;
    if (!Number.isInteger(batchRows) || batchRows < 1)
      throw new RangeError(`Expected \`queryBatchRows\` to be an integer >= 1, got ${batchRows}`);
    const redact = databaseSecretsMask(url);
    const label = redactDatabaseUrl(url);
    const pool = createPool(url, 4);
    let newest: number;
    try {
      const { rows } = await pool.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
      newest = rows[0]?.v ?? 0;
    } catch (e: unknown) {
      await pool.end().catch(() => undefined);
      if ((e as { code?: unknown }).code === UNDEFINED_TABLE) {
        throw new SchemaError(
          `${label} is not a wxlog database (no schema_migrations table); run \`wxlog migrate\` first`,
        );
      }
      const message = e instanceof Error ? e.message : String(e);
      throw new DatabaseUnavailableError(`cannot open ${label}: ${redact(message)}`);
    }
    // Refused even for reading, as SQLite's is: a newer schema's tables may mean something else.
    const known = loadPostgresMigrations().length;
    if (newest > known) {
      await pool.end().catch(() => undefined);
      throw new SchemaError(
        `the database's schema is version ${newest}, newer than this wxlog (knows ${known}): upgrade wxlog`,
      );
    }
    return new PgReadStore(url, pool, redact, batchRows);
  }

  // The rows stream from a cursor on the query's own connection, inside its READ ONLY transaction.
  async query(sql: string): Promise<QueryRows> {
    const query = await pgReadOnlyQuery(this.pool, sql, this.redact, this.queryBatchRows);
    this.queries.add(query);
    const queries = this.queries;
    return {
      columns: query.columns,
      rows: (async function* () {
        try {
          yield* query.rows;
        } finally {
          queries.delete(query);
        }
      })(),
    };
  }

  storedApps(): Promise<string[]> {
    return pgStoredApps(this.pool);
  }

  search(query: MessageQuery): Promise<MessageHit[]> {
    return pgSearchMessages(this.pool, query);
  }

  days(scope: CoverageScope, days: readonly CstDay[]): Promise<DayCoverage[]> {
    return this.coverage.days(scope, days);
  }

  entriesBefore(scope: CoverageScope, before: number): Promise<number> {
    return this.coverage.entriesBefore(scope, before);
  }

  recentRuns(limit: number, appid: string | undefined, nowSeconds: number): Promise<RunWithState[]> {
    return pgRecentRuns(this.pool, limit, appid, nowSeconds);
  }

  async appStatuses(scope: StatusScope): Promise<AppStatus[]> {
    const coverage = await this.coverage.appDays(scope.filterKey, scope.appids, scope.days);
    const runs = new Map((await pgLatestRunPerApp(this.pool, scope.appids, scope.nowSeconds)).map((r) => [r.appid, r]));
    const statuses = scope.appids.map((appid) => {
      const run = runs.get(appid);
      return appStatusOf(appid, coverage.get(appid) ?? [], run?.latest ?? null, run?.lastFinished);
    });
    return statuses.sort(troubleFirst);
  }

  countPrunable(before: number): Promise<PruneCounts> {
    return pgCountPrunable(this.pool, before);
  }

  // No lock to take: PostgreSQL's own locks order the drops against the writers' page transactions.
  async prune(before: number): Promise<PruneOutcome> {
    const bytesBefore = await pgDatabaseBytes(this.pool);
    const { counts, dropped } = await pgPrune(this.pool, before);
    return {
      pruned: true,
      counts,
      partitionsDropped: dropped,
      measured: 'database',
      bytesBefore,
      bytesAfter: await pgDatabaseBytes(this.pool),
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.queries].map((q) => q.close()));
    this.queries.clear();
    await this.pool.end();
  }
}
