import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { DatabaseOpenError, databaseOpenError } from './database-open-error.js';
import { isPostgresUrl, redactDatabaseUrl } from './database-url.js';
import { loadMigrations, migrate, pendingMigrations, SchemaError, type MigrationResult } from './migrator.js';

export type { Database } from 'better-sqlite3';

export interface OpenOptions {
  /** Open read-only: no migration, no writes (the `query`, `search` and `status` commands). */
  readonly?: boolean;
  /** Migrations folder (tests). */
  migrationsDir?: string;
}

/**
 * Opens (creating its folder and file when writable) and migrates a wxlog database.
 * WAL mode lets analysts query the file while an export writes to it.
 * A path that cannot be opened or written (a directory, not SQLite, read-only, no permission) throws
 * `DatabaseOpenError`; a database of another schema throws {@link SchemaError}.
 */
export function openDatabase(path: string, options: OpenOptions = {}): { db: Database; migrations: MigrationResult[] } {
  // A PostgreSQL URL reaching the SQLite store would become a file named after it, password and all.
  if (isPostgresUrl(path)) throw new DatabaseOpenError(redactDatabaseUrl(path), 'postgres-not-here');
  try {
    return openAndMigrate(path, options);
  } catch (e: unknown) {
    // A migration that failed for want of write access is a read-only file, not a schema problem.
    const cause = e instanceof SchemaError ? e.cause : e;
    throw databaseOpenError(path, cause) ?? e;
  }
}

function openAndMigrate(path: string, options: OpenOptions): { db: Database; migrations: MigrationResult[] } {
  if (!options.readonly) mkdirSync(dirname(path), { recursive: true });
  const db = new BetterSqlite3(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    if (options.readonly) {
      // Refuse a database newer than this program even for reading: its tables may mean something else.
      const migrations = loadMigrations(options.migrationsDir);
      const hasHistory = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'").get() !== undefined;
      if (!hasHistory) throw new SchemaError(`${path} is not a wxlog database (no schema_migrations table)`);
      const newest =
        (db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null }).v ?? 0;
      if (newest > migrations.length) {
        throw new SchemaError(
          `the database's schema is version ${newest}, newer than this wxlog (knows ${migrations.length}): upgrade wxlog`,
        );
      }
      return { db, migrations: [] };
    }
    db.pragma('journal_mode = WAL');
    // NORMAL is durable across process crashes in WAL mode; only an OS crash may lose the last commits.
    db.pragma('synchronous = NORMAL');
    const results = migrate(db, loadMigrations(options.migrationsDir));
    const failed = results.find((r) => r.status === 'error');
    if (failed && failed.status === 'error') {
      throw new SchemaError(
        `migration ${String(failed.version).padStart(4, '0')}_${failed.name} failed: ${failed.error.message}`,
        {
          cause: failed.error,
        },
      );
    }
    // SQLite opens a file it may not write read-only without a word, and a database already migrated and in
    // WAL mode needs no write to get here: this empty write fails now (SQLITE_READONLY) rather than the
    // export's first page.
    db.prepare('DELETE FROM schema_migrations WHERE 0').run();
    return { db, migrations: results };
  } catch (e) {
    db.close();
    throw e;
  }
}

/** True when every migration this program knows has been applied. */
export function isCurrent(db: Database, migrationsDir?: string): boolean {
  return pendingMigrations(db, loadMigrations(migrationsDir)).length === 0;
}
