import type { Database } from 'better-sqlite3';

/**
 * The distinct appids of an index led by appid, one seek each (a loose index scan): a plain DISTINCT would
 * read every entry of the index, millions of them for log_entries. The same SQL on both engines
 * (postgres/pg-run-reads.ts), whose subquery PostgreSQL wants named.
 */
export function distinctAppids(table: 'log_entries' | 'windows'): string {
  return `
    SELECT appid FROM (
      WITH RECURSIVE a(appid) AS (
        SELECT min(appid) FROM ${table}
        UNION ALL
        SELECT (SELECT min(appid) FROM ${table} WHERE appid > a.appid) FROM a WHERE a.appid IS NOT NULL
      )
      SELECT appid FROM a
    ) s`;
}

function hasTable(db: Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/**
 * Every app the file holds, sorted: those of the `apps` table (every app an export has started), and any
 * with entries or coverage windows but no pass recorded. A file made before migration 0006 (opened
 * read-only, so not migrated) has no `apps` table: its runs name its apps instead.
 */
export function storedApps(db: Database): string[] {
  const known = hasTable(db, 'apps') ? 'SELECT appid FROM apps' : 'SELECT DISTINCT appid FROM runs';
  const sql = `
    SELECT appid FROM (${known} UNION ${distinctAppids('windows')} UNION ${distinctAppids('log_entries')})
    WHERE appid IS NOT NULL AND appid <> '' ORDER BY appid`;
  return db.prepare(sql).pluck().all() as string[];
}

// How many of the file's apps a message names before "and N more".
const NAMED_APPS = 5;

/**
 * Why a command asked about apps the file does not hold says nothing useful, in one line:
 * `data/demo.db does not hold wxA; it holds 2 apps: wxB, wxC`. Null when every app in `wanted` is held,
 * or when the file holds no app at all (a new database: nothing in it can be a wrong app yet).
 */
export function notStoredMessage(wanted: readonly string[], held: readonly string[], path: string): string | null {
  if (held.length === 0) return null;
  const heldSet = new Set(held);
  const missing = [...new Set(wanted)].filter((appid) => !heldSet.has(appid));
  if (missing.length === 0) return null;
  const named = held.slice(0, NAMED_APPS).join(', ');
  const more = held.length > NAMED_APPS ? ` and ${held.length - NAMED_APPS} more` : '';
  const count = held.length === 1 ? '1 app' : `${held.length} apps`;
  return `${path} does not hold ${missing.join(', ')}; it holds ${count}: ${named}${more}`;
}
