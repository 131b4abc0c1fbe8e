import type { Database } from 'better-sqlite3';

/** SQL that `wxlog query` refuses: a write, or more than one statement. */
export class QueryRefusedError extends Error {
  override name = 'QueryRefusedError';
}

/** A value as SQLite returned it, made printable: BLOBs as lowercase hex, integers exact. */
export type QueryValue = string | number | bigint | null;

/** A prepared read-only query: its column names and its rows, read lazily. */
export interface ReadOnlyQuery {
  columns: string[];
  rows(): IterableIterator<QueryValue[]>;
}

function printable(value: unknown): QueryValue {
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (value === undefined) return null;
  return value as string | number | null;
}

function* printableRows(rows: IterableIterator<unknown[]>): IterableIterator<QueryValue[]> {
  for (const row of rows) yield row.map(printable);
}

// The statement's first keyword, for the message only (comments skipped).
function firstWord(sql: string): string {
  const stripped = sql.replace(/^(\s|--[^\n]*\n?|\/\*[\s\S]*?\*\/)*/, '');
  return (/^[A-Za-z]+/.exec(stripped)?.[0] ?? 'this').toUpperCase();
}

// SQLite calls every `PRAGMA journal_mode` a write, the bare one too, which only reports the mode ("wal").
// That one is allowed: on the read-only connection it cannot switch anything.
function isJournalModeQuery(sql: string): boolean {
  const stripped = sql.replace(/(\s|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)+/g, ' ').trim();
  return /^PRAGMA\s+(?:(?:\w+|"[^"]*")\s*\.\s*)?journal_mode\s*;?$/i.test(stripped);
}

/**
 * Prepares one SQL statement for reading. Throws {@link QueryRefusedError} for a statement that may
 * write (SQLite's `sqlite3_stmt_readonly`) or for several statements; SQLite's own errors (syntax, no
 * such table) pass through. Open `db` read-only as well: this check is the message, that is the guard.
 */
export function prepareReadOnlyQuery(db: Database, sql: string): ReadOnlyQuery {
  let statement;
  try {
    statement = db.prepare(sql);
  } catch (e: unknown) {
    if (e instanceof RangeError && /more than one statement/.test(e.message)) {
      throw new QueryRefusedError('query takes a single SQL statement; run the others separately', { cause: e });
    }
    throw e;
  }
  // SQLite's own judgement (sqlite3_stmt_readonly), not a keyword list: it knows that `WITH … DELETE`
  // writes and that `PRAGMA user_version = 3` does too.
  if (!statement.readonly && !isJournalModeQuery(sql)) {
    throw new QueryRefusedError(
      `query is read-only: ${firstWord(sql)} statements may change the database and are refused`,
    );
  }
  statement.safeIntegers(true);
  if (!statement.reader) {
    // BEGIN, ATTACH and the like: nothing to show; a write they attempt fails on the read-only connection.
    return {
      columns: [],
      rows: () => {
        statement.run();
        return [][Symbol.iterator]();
      },
    };
  }
  statement.raw(true);
  const columns = statement.columns().map((c) => c.name);
  return { columns, rows: () => printableRows(statement.iterate() as IterableIterator<unknown[]>) };
}

/** The SQL given to `wxlog query` failed on its own terms (syntax, no such table): the user's to fix. */
export class QuerySqlError extends Error {
  override name = 'QuerySqlError';
}
