/**
 * The one place that knows which engine a database setting names (docs/postgres.md): a `postgres://` or
 * `postgresql://` URL is PostgreSQL, anything else a SQLite file path.
 */
import { isPostgresUrl, redactDatabaseUrl } from './postgres/connection.js';
import { PgStore, type PgStoreOptions } from './postgres/pg-store.js';
import { AsyncSqliteStore } from './sqlite/async-sqlite-store.js';
import { Store } from './store.js';

export { isPostgresUrl, redactDatabaseUrl } from './postgres/connection.js';

/** A writable store of either engine, as the export's process part holds it. */
export type OpenedStore = AsyncSqliteStore | PgStore;

export interface OpenStoreOptions {
  /** PostgreSQL only: the pool's connections (default 10). */
  poolSize?: number;
  /** PostgreSQL only: see PgStoreOptions.idleInTransactionMs. */
  idleInTransactionMs?: number;
}

/**
 * Opens and migrates the database `db` names: a PostgreSQL URL, or a SQLite file path (its folder is
 * created). Errors are DatabaseOpenError (PostgresOpenError for a server that cannot be reached) or
 * SchemaError, and never show a password.
 */
export async function openStore(db: string, options: OpenStoreOptions = {}): Promise<OpenedStore> {
  if (isPostgresUrl(db)) {
    const pg: PgStoreOptions = {
      ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
      ...(options.idleInTransactionMs === undefined ? {} : { idleInTransactionMs: options.idleInTransactionMs }),
    };
    return PgStore.open(db, pg);
  }
  return new AsyncSqliteStore(Store.open(db));
}

/** How a database setting may be shown: a URL with its password masked, a path as it is. */
export function displayDatabase(db: string): string {
  return isPostgresUrl(db) ? redactDatabaseUrl(db) : db;
}
