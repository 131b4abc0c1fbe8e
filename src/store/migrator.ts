import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from 'better-sqlite3';
import { coerceError } from '../errors/coerce-error.js';

/** A migration file `NNNN_name.sql`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** What happened to one migration, as kysely's migrator reports it instead of throwing half way. */
export type MigrationResult =
  | { version: number; name: string; status: 'applied' }
  | { version: number; name: string; status: 'already-applied' }
  | { version: number; name: string; status: 'error'; error: Error }
  | { version: number; name: string; status: 'not-executed' };

/** Refused: the database is newer than this program, or its migration history does not match ours. */
export class SchemaError extends Error {
  override name = 'SchemaError';
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** The folder shipped beside the code: `migrations/sqlite/` at the package root, from src/ and dist/ alike. */
export const defaultMigrationsDir = fileURLToPath(new URL('../../migrations/sqlite/', import.meta.url));

export function loadMigrations(dir: string = defaultMigrationsDir): Migration[] {
  const migrations = readdirSync(dir)
    .map((file) => ({ file, match: FILE_PATTERN.exec(file) }))
    .filter((f): f is { file: string; match: RegExpExecArray } => f.match !== null)
    .map(({ file, match }) => ({
      version: Number(match[1]),
      name: match[2] ?? file,
      sql: readFileSync(join(dir, file), 'utf8'),
    }))
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new SchemaError(
        `migrations in ${dir} must be numbered 0001, 0002, … without gaps; found ${m.version} at position ${i + 1}`,
      );
  });
  return migrations;
}

interface AppliedRow {
  version: number;
  name: string;
}

function appliedMigrations(db: Database): AppliedRow[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  return db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as AppliedRow[];
}

/**
 * Checks the recorded history against `migrations` and throws SchemaError when the database is newer
 * than this program or a migration it records is missing here. Returns the versions still to apply.
 */
export function pendingMigrations(db: Database, migrations: Migration[]): Migration[] {
  const applied = appliedMigrations(db);
  const known = new Map(migrations.map((m) => [m.version, m]));
  for (const row of applied) {
    const ours = known.get(row.version);
    if (!ours) {
      throw new SchemaError(
        `the database's schema is version ${applied.at(-1)?.version}, newer than this wxlog (knows ${migrations.length}): upgrade wxlog`,
      );
    }
    if (ours.name !== row.name) {
      throw new SchemaError(
        `previously applied migration ${row.version}_${row.name} is missing (this wxlog has ${ours.version}_${ours.name})`,
      );
    }
  }
  const done = new Set(applied.map((r) => r.version));
  return migrations.filter((m) => !done.has(m.version));
}

/** Applies pending migrations in order, each in its own transaction together with its record. */
export function migrate(
  db: Database,
  migrations: Migration[] = loadMigrations(),
  now: () => number = Date.now,
): MigrationResult[] {
  const results: MigrationResult[] = [];
  const done = new Set(appliedMigrations(db).map((r) => r.version));
  let failed = false;
  pendingMigrations(db, migrations);
  for (const m of migrations) {
    if (done.has(m.version)) {
      results.push({ version: m.version, name: m.name, status: 'already-applied' });
      continue;
    }
    if (failed) {
      results.push({ version: m.version, name: m.name, status: 'not-executed' });
      continue;
    }
    try {
      db.transaction(() => {
        // Must come first so we can detect concurrent migration: a second process fails on this insert.
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
          m.version,
          m.name,
          Math.floor(now() / 1000),
        );
        db.exec(m.sql);
      }).immediate();
      results.push({ version: m.version, name: m.name, status: 'applied' });
    } catch (e: unknown) {
      failed = true;
      const error = coerceError(e);
      results.push({ version: m.version, name: m.name, status: 'error', error });
    }
  }
  return results;
}
