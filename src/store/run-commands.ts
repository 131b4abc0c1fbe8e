import type { Database } from 'better-sqlite3';

/** The distinct commands (`run`, `daemon`, `demo`, …) the `runs` table has recorded, sorted. */
export function runCommands(db: Database): string[] {
  const rows = db.prepare('SELECT DISTINCT command FROM runs ORDER BY command').all() as { command: string }[];
  return rows.map((r) => r.command);
}
