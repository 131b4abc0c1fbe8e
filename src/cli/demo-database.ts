import { existsSync, rmSync } from 'node:fs';
import { openDatabase } from '../store/database.js';
import { runCommands } from '../store/run-history.js';
import { UsageError } from './command.js';

/**
 * Clears the way for a fresh demo database at `path`: a previous demo's file (and its WAL) is removed, so
 * that data of another `--per-day` or `--seed` is not mixed with this one's. A file that holds more than
 * demo runs, or is not a wxlog database, is never removed: a usage error. True when a file was removed.
 */
export function replaceDemoDatabase(path: string, label: string): boolean {
  if (!existsSync(path)) return false;
  // Throws DatabaseOpenError (a directory, not SQLite) or SchemaError (another program's SQLite): exit 2.
  const db = openDatabase(path, { readonly: true }).db;
  let others: string[];
  try {
    others = runCommands(db).filter((c) => c !== 'demo');
  } finally {
    db.close();
  }
  if (others.length > 0) {
    throw new UsageError(
      `${label} holds runs of ${others.join(', ')}, not only a demo: the demo starts a fresh file, so give it another --db`,
    );
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) rmSync(file, { force: true });
  return true;
}
