import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { coerceError } from '../../errors/coerce-error.js';
import { loadMigrations, SchemaError, type Migration, type MigrationResult } from '../migrator.js';
import { inTransaction } from './connection.js';

/**
 * The folder shipped beside the code: `migrations/postgres/` at the package root, from src/ and dist/ alike.
 * Found by walking up from this module: it lies three levels below the root in src/store/postgres/, but two
 * in the bundle's dist/cli/ chunks.
 */
export const postgresMigrationsDir = packageFolder('migrations/postgres');

function packageFolder(relative: string): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return join(start, '../../..', relative);
  }
}

/** Loads `migrations/postgres/NNNN_name.sql` (numbered as SQLite's are: 0001, 0002, … without gaps). */
export function loadPostgresMigrations(dir: string = postgresMigrationsDir): Migration[] {
  return loadMigrations(dir);
}

// One key for every wxlog database's migrations: a transaction-scoped advisory lock, so concurrent workers
// migrate one after the other and a crashed one releases it by ending.
const MIGRATION_LOCK = "hashtext('wxlog migrations')";

interface AppliedRow {
  version: number;
  name: string;
}

/**
 * Refuses a database pg_trgm cannot search Chinese in: its encoding must be UTF8 and its ctype a UTF-8
 * locale (C.UTF-8, en_US.UTF-8…), since pg_trgm decides which characters are word characters by the ctype
 * (docs/postgres.md, "Pointing wxlog at PostgreSQL").
 */
export async function checkDatabaseLocale(db: pg.Pool | pg.PoolClient): Promise<void> {
  const { rows } = await db.query<{ encoding: string; ctype: string; name: string }>(
    `SELECT pg_encoding_to_char(encoding) AS encoding, datctype AS ctype, datname AS name
     FROM pg_database WHERE datname = current_database()`,
  );
  const row = rows[0];
  if (!row) throw new SchemaError('cannot read the current database from pg_database');
  if (row.encoding !== 'UTF8' || !/utf-?8$/i.test(row.ctype)) {
    throw new SchemaError(
      `database "${row.name}" has encoding ${row.encoding} and ctype ${row.ctype}: wxlog needs encoding UTF8 and a ` +
        `UTF-8 ctype, or its search cannot find Chinese text; create it with ` +
        `CREATE DATABASE … TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8' (docs/postgres.md)`,
    );
  }
}

async function applied(client: pg.PoolClient): Promise<AppliedRow[]> {
  await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text    NOT NULL,
    applied_at bigint  NOT NULL
  )`);
  const { rows } = await client.query<AppliedRow>('SELECT version, name FROM schema_migrations ORDER BY version');
  return rows;
}

/** Throws SchemaError when the database is newer than `migrations` or records one we do not have. */
function checkHistory(history: AppliedRow[], migrations: Migration[]): void {
  const known = new Map(migrations.map((m) => [m.version, m]));
  for (const row of history) {
    const ours = known.get(row.version);
    if (!ours) {
      throw new SchemaError(
        `the database's schema is version ${history.at(-1)?.version}, newer than this wxlog (knows ${migrations.length}): upgrade wxlog`,
      );
    }
    if (ours.name !== row.name) {
      throw new SchemaError(
        `previously applied migration ${row.version}_${row.name} is missing (this wxlog has ${ours.version}_${ours.name})`,
      );
    }
  }
}

/**
 * Applies pending migrations in order, each in its own transaction together with its record, as the SQLite
 * migrator does, and returns what happened to each. Safe when several workers start at once: each
 * transaction first takes an advisory lock and reads the history again under it, so a migration another
 * worker applied meanwhile is reported `already-applied`. A database newer than the program, or of
 * another history, throws SchemaError before anything is applied.
 */
export async function migratePostgres(
  pool: pg.Pool,
  migrations: Migration[] = loadPostgresMigrations(),
  now: () => number = Date.now,
): Promise<MigrationResult[]> {
  await checkDatabaseLocale(pool);
  const results: MigrationResult[] = [];
  let failed = false;
  for (const m of migrations) {
    if (failed) {
      results.push({ version: m.version, name: m.name, status: 'not-executed' });
      continue;
    }
    try {
      const status = await inTransaction(pool, async (client) => {
        await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
        const history = await applied(client);
        checkHistory(history, migrations);
        if (history.some((r) => r.version === m.version)) return 'already-applied' as const;
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          Math.floor(now() / 1000),
        ]);
        // No parameters: the simple query protocol, which runs a file of several statements.
        await client.query(m.sql);
        return 'applied' as const;
      });
      results.push({ version: m.version, name: m.name, status });
    } catch (e: unknown) {
      if (e instanceof SchemaError) throw e;
      failed = true;
      results.push({ version: m.version, name: m.name, status: 'error', error: coerceError(e) });
    }
  }
  return results;
}
