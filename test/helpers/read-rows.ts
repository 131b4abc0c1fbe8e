import { existsSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';

/** Rows of `sql` in the database at `path`, read-only; [] while the file or its tables do not exist yet. */
export function readRows<T>(path: string, sql: string): T[] {
  if (!existsSync(path)) return [];
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as T[];
  } catch (e: unknown) {
    // The first run may not have created the tables yet.
    if (e instanceof Error && /no such table/.test(e.message)) return [];
    throw e;
  } finally {
    db.close();
  }
}
