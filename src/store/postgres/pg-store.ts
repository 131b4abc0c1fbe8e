import type pg from 'pg';
import type { ServedEntry } from '../../wechat/served-entry.js';
import type { Scene } from '../../wechat/types.js';
import type { AsyncStore, WriteFence } from '../async-store.js';
import type { SaveResult } from '../entry-writer.js';
import { databaseSecretsMask } from '../database-url.js';
import { SchemaError, type MigrationResult } from '../migrator.js';
import type { PagePlace, ServedWindow } from '../store.js';
import { PgAppRegistry } from './app-registry.js';
import { createPool, redactDatabaseUrl } from './connection.js';
import { pageTimestamps, saveEntries } from './entry-writer.js';
import { checkFencedApp, inFencedTransaction, type AppFence } from './fence.js';
import { Leases } from './leases.js';
import { loadPostgresMigrations, migratePostgres } from './migrator.js';
import { PostgresOpenError } from './postgres-open-error.js';
import { PgRequestLog } from './request-log.js';
import { PgRunHistory } from './run-history.js';
import { PgStateStore } from './state-store.js';
import { PgWindowLedger, recordProgressOn } from './window-ledger.js';

export interface PgStoreOptions {
  /** Migrations folder (tests); migrations/postgres/ by default. */
  migrationsDir?: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /**
   * The server ends a session of this store's that sits inside a transaction doing nothing for this long
   * (idle_in_transaction_session_timeout), releasing its locks: a worker stopped inside a page's
   * transaction (a stopped VM, a long GC) otherwise kept its lease row locked, so no other worker could take
   * the app over. The export sets half its lease time. Default: the server's setting.
   */
  idleInTransactionMs?: number;
}

// Never used for an entry (savePage refuses untimed entries without a window); only fills the parameter.
const NO_WINDOW: ServedWindow = { id: 0, begintime: 0, endtime: 0 };

// PostgreSQL's "no partition of relation … found for row": a month partition dropped since it was cached.
const NO_PARTITION = '23514';

/** The first second of the CST month holding `ts` (unix seconds): the key of its partition. */
export function cstMonthStart(ts: number): number {
  const cst = new Date((ts + 8 * 3600) * 1000);
  return Date.UTC(cst.getUTCFullYear(), cst.getUTCMonth(), 1) / 1000 - 8 * 3600;
}

/**
 * A wxlog database in PostgreSQL (docs/postgres.md): the parts of the SQLite `Store`, asynchronous, over a
 * connection pool, plus the app leases of several workers. `fencedBy` gives the same store with the writes
 * of one app's data fenced by that app's lease.
 */
export class PgStore implements AsyncStore {
  readonly engine = 'postgres' as const;
  readonly windows: PgWindowLedger;
  readonly state: PgStateStore;
  readonly requests: PgRequestLog;
  readonly runs: PgRunHistory;
  readonly apps: PgAppRegistry;
  readonly leases: Leases;

  /**
   * `months`: the months whose partitions this process has made sure of (see ensurePartitions), shared by
   * a store and its fenced views. `fence`: set on a view from `fencedBy`.
   */
  private constructor(
    readonly pool: pg.Pool,
    readonly migrations: MigrationResult[],
    private readonly months: Set<number>,
    readonly fence?: AppFence,
  ) {
    this.windows = new PgWindowLedger(pool, fence);
    this.state = new PgStateStore(pool, fence);
    this.requests = new PgRequestLog(pool);
    this.runs = new PgRunHistory(pool);
    this.apps = new PgAppRegistry(pool, fence);
    this.leases = new Leases(pool);
  }

  /**
   * Connects to `url` and migrates the database. Errors name the URL with its password masked: a database
   * that cannot be reached throws PostgresOpenError, one newer than the program, or whose ctype cannot
   * search Chinese, SchemaError.
   */
  static async open(url: string, options: PgStoreOptions = {}): Promise<PgStore> {
    const pool = createPool(url, options.poolSize, {
      readCommitted: true,
      ...(options.idleInTransactionMs === undefined ? {} : { idleInTransactionMs: options.idleInTransactionMs }),
    });
    try {
      const results = await migratePostgres(pool, loadPostgresMigrations(options.migrationsDir));
      const failed = results.find((r) => r.status === 'error');
      if (failed && failed.status === 'error') {
        throw new SchemaError(
          `migration ${String(failed.version).padStart(4, '0')}_${failed.name} failed: ${failed.error.message}`,
          { cause: failed.error },
        );
      }
      return new PgStore(pool, results, new Set());
    } catch (e: unknown) {
      await pool.end().catch(() => undefined);
      if (e instanceof SchemaError) throw e;
      const message = databaseSecretsMask(url)(e instanceof Error ? e.message : String(e));
      throw new PostgresOpenError(redactDatabaseUrl(url), message, { cause: e });
    }
  }

  /**
   * This store with every write of `appid`'s data, ledger and state fenced by the app's lease `fence`
   * (docs/postgres.md, "Leases and fencing"): the ledger's writes, `state.set`, `replaceScenes`, `savePage`
   * and `apps.finished` store something only while the lease row still has that worker and epoch, checked
   * in the write's own statement or transaction, and otherwise throw LeaseLostError having written nothing
   * (`apps.finished` then writes nothing quietly). The request log and `runs` are not fenced; reads never
   * are. The view shares this store's pool: closing either closes both.
   */
  fencedBy(appid: string, fence: WriteFence): PgStore {
    return new PgStore(this.pool, this.migrations, this.months, {
      appid,
      worker: fence.worker,
      epoch: fence.epoch,
    });
  }

  /**
   * Stores a page's entries, their messages and the ledger's progress in one transaction. Fenced (a store
   * from `fencedBy`), the transaction first checks that the app's lease still has the fence's worker and
   * epoch, and throws LeaseLostError (storing nothing) if not: still one transaction.
   */
  async savePage(
    appid: string,
    filterKey: string,
    entries: readonly ServedEntry[],
    seenAt: number,
    place?: PagePlace,
  ): Promise<SaveResult> {
    if (place === undefined && entries.some((e) => e.timestamp === null)) {
      throw new RangeError('an entry without a timestamp can only be saved with the window it was served for');
    }
    checkFencedApp(this.fence, appid);
    const window = place?.window ?? NO_WINDOW;
    const write = async (): Promise<SaveResult> => {
      await this.ensurePartitions(pageTimestamps(entries, window));
      return inFencedTransaction(this.pool, this.fence, async (db) => {
        const result = await saveEntries(db, appid, entries, seenAt, window, filterKey);
        const p = place?.progress;
        if (place && p)
          await recordProgressOn(db, appid, place.window.id, p.nextStart, p.readTotal, p.serverTotal, seenAt);
        return result;
      });
    };
    try {
      return await write();
    } catch (e: unknown) {
      if ((e as { code?: unknown }).code !== NO_PARTITION) throw e;
      this.months.clear();
      return write();
    }
  }

  /**
   * Makes sure the month partitions for `timestamps` exist: created on demand by the writer (not ahead by
   * a migration), each in its own short transaction before the page's, so that page transactions never
   * hold the partition lock. Known months are cached for the life of the store. The month after each is
   * made too, while nobody needs it yet: making a month waits for every open reader of the tables, and
   * at most 2 s (migrations/postgres/0002), so one made on its first day could fail a page behind a long
   * query; one made ahead failing costs nothing (it is tried again at its month's first page).
   */
  private async ensurePartitions(timestamps: readonly number[]): Promise<void> {
    for (const month of new Set(timestamps.map(cstMonthStart))) {
      if (this.months.has(month)) continue;
      await this.pool.query('SELECT wxlog_ensure_month_partition($1)', [month]);
      this.months.add(month);
      const next = cstMonthStart(month + 32 * 86_400);
      if (this.months.has(next)) continue;
      try {
        await this.pool.query('SELECT wxlog_ensure_month_partition($1)', [next]);
        this.months.add(next);
      } catch {
        // Ahead of need: its first page makes it, or says why it cannot.
      }
    }
  }

  // One statement for the whole list (a run refreshes it: 20-odd scenes). A value listed twice keeps its first
  // position and its last name, as one insert after another would.
  async replaceScenes(appid: string, scenes: readonly Scene[], at: number): Promise<void> {
    checkFencedApp(this.fence, appid);
    const byValue = new Map<string, { name: string; position: number }>();
    for (const [position, s] of scenes.entries())
      byValue.set(s.value, { name: s.name, position: byValue.get(s.value)?.position ?? position });
    await inFencedTransaction(this.pool, this.fence, async (db) => {
      await db.query('DELETE FROM scenes WHERE appid = $1', [appid]);
      if (byValue.size === 0) return;
      await db.query(
        `INSERT INTO scenes (appid, value, name, updated_at, position)
         SELECT $1, s.value, s.name, $2, s.position FROM unnest($3::text[], $4::text[], $5::integer[]) AS s (value, name, position)`,
        [
          appid,
          at,
          [...byValue.keys()],
          [...byValue.values()].map((v) => v.name),
          [...byValue.values()].map((v) => v.position),
        ],
      );
    });
  }

  /** The stored scene list of `appid`, in the order the server listed it. */
  async listScenes(appid: string): Promise<Scene[]> {
    const { rows } = await this.pool.query<Scene>('SELECT name, value FROM scenes WHERE appid = $1 ORDER BY position', [
      appid,
    ]);
    return rows;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
