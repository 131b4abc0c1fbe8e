import pg from 'pg';
import Cursor from 'pg-cursor';
import { QueryRefusedError, QuerySqlError, type QueryValue } from '../read-only-query.js';
import type { QueryRows } from '../read-store.js';

const BOOL = 16;
const BYTEA = 17;
const INT8 = 20;
const INT2 = 21;
const INT4 = 23;
const OID = 26;
const FLOAT4 = 700;
const FLOAT8 = 701;
const NUMERIC = 1700;

const raw = (value: string): string => value;

// As `wxlog query` prints SQLite's values: integers as numbers (exact beyond 2^53, as bigint), bytea as hex
// like a BLOB, and everything else (json and jsonb included) as PostgreSQL's own text, never parsed.
function parserOf(oid: number): (value: string) => QueryValue {
  switch (oid) {
    case INT8: {
      return (value) => {
        const n = BigInt(value);
        return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
      };
    }
    case INT2:
    case INT4:
    case OID:
    case FLOAT4:
    case FLOAT8:
      return Number;
    case NUMERIC:
      // 1.50 keeps its spelling; a value a double holds exactly becomes a number.
      return (value) => (String(Number(value)) === value ? Number(value) : value);
    case BOOL:
      return (value) => (value === 't' ? 'true' : 'false');
    case BYTEA:
      return (value) => value.replace(/^\\x/, '');
    default:
      return raw;
  }
}

const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number) => parserOf(oid)) as pg.CustomTypesConfig['getTypeParser'],
};

// SQLSTATEs: a write in a READ ONLY transaction; several statements in one prepared statement.
const READ_ONLY_TRANSACTION = '25006';
const SYNTAX_ERROR = '42601';

// What `wxlog query` sends PostgreSQL: the statements that read, and those READ ONLY itself refuses (with its
// own message, as SQLite's refusals have theirs). READ ONLY stops writes to the database, not what else a
// privileged role can make the server do: `COPY (SELECT 1) TO PROGRAM '…'` runs a shell command on the
// server inside a read-only transaction, `DO` any PL/pgSQL, `LOAD` a library. Every other statement is
// refused before it is sent.
const READS = ['SELECT', 'WITH', 'VALUES', 'TABLE', 'SHOW', 'EXPLAIN'];
const SENT = new Set([
  ...READS,
  // Rolled back with the transaction: nothing to fear, and accepted before this list.
  'SET',
  ...['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'CREATE', 'ALTER', 'DROP', 'TRUNCATE', 'GRANT', 'REVOKE', 'COMMENT'],
]);

/**
 * The first keyword of `sql` as PostgreSQL's lexer reads it: after whitespace, `--` comments, `/* … *\/`
 * comments (nested, as PostgreSQL nests them) and opening parentheses. Undefined when there is none.
 */
function leadingKeyword(sql: string): string | undefined {
  let i = 0;
  for (;;) {
    while (i < sql.length && ' \t\n\r\f\v'.includes(sql[i]!)) i++;
    if (sql.startsWith('--', i)) {
      while (i < sql.length && sql[i] !== '\n' && sql[i] !== '\r') i++;
    } else if (sql.startsWith('/*', i)) {
      let depth = 0;
      do {
        if (sql.startsWith('/*', i)) {
          depth++;
          i += 2;
        } else if (sql.startsWith('*/', i)) {
          depth--;
          i += 2;
        } else i++;
      } while (depth > 0 && i < sql.length);
      if (depth > 0) return undefined;
    } else if (sql[i] === '(') i++;
    else break;
  }
  return /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i))?.[0].toUpperCase();
}

/** Rows fetched from the server at a time: what `wxlog query` holds of a result (the table format aside). */
export const QUERY_BATCH_ROWS = 1000;

/** The rows of a running `wxlog query`, and how to end it early. */
export interface PgQuery extends QueryRows {
  /** Ends the query and its connection (rolled back), whether its rows were read to the end or not. */
  close(): Promise<void>;
}

type Fetch = { rows: QueryValue[][]; columns: string[] };

function fetchRows(cursor: Cursor<QueryValue[]>, count: number): Promise<Fetch> {
  return new Promise((resolve, reject) => {
    cursor.read(count, (error, rows, result) => {
      if (error) reject(error);
      else resolve({ rows, columns: result.fields.map((f) => f.name) });
    });
  });
}

/**
 * Runs one statement of `wxlog query` on a connection of its own from `pool`, inside `BEGIN READ ONLY`, rolled back
 * when its rows have been read or it is closed. The statement goes through the extended protocol, whose Parse
 * takes one statement only: `SELECT 1; COMMIT; DELETE …` cannot leave the read-only transaction. Its rows come
 * through a cursor (pg-cursor: a portal executed `batchRows` rows at a time), so a result of millions of rows
 * is never held whole. A refused write or bad SQL throws here, from the first fetch; an error the server
 * meets later (a row that fails to compute) is thrown by the rows' iterator, where it is met.
 */
export async function pgReadOnlyQuery(
  pool: pg.Pool,
  sql: string,
  redact: (text: string) => string,
  batchRows = QUERY_BATCH_ROWS,
): Promise<PgQuery> {
  const keyword = leadingKeyword(sql);
  if (keyword === undefined || !SENT.has(keyword)) {
    throw new QueryRefusedError(
      `query runs statements that read (${READS.join(', ')}) on PostgreSQL; ${keyword ?? 'this statement'} is refused`,
    );
  }
  // The connection the store opened to check the schema, when it is idle: no second connection to make.
  const client = await pool.connect();
  // A connection the server cuts while it is out of the pool errors here, not in the pool: ended below.
  client.on('error', () => undefined);
  const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
  const cursor = new Cursor<QueryValue[]>(sql, undefined, { rowMode: 'array', types });
  // A cursor stopped half way is left suspended: its portal is closed before the transaction is rolled back.
  // Closing waits for the server's answer, which a connection lost meanwhile never sends.
  let suspended = false;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      if (suspended) await Promise.race([cursor.close().catch(() => undefined), ended]);
      await client.query('ROLLBACK').catch(() => undefined);
      // Not back to the pool: a connection whose portal or transaction did not end cleanly is not reused.
      client.release(true);
    })());
  let first: Fetch;
  try {
    await client.query('BEGIN READ ONLY');
    client.query(cursor);
    first = await fetchRows(cursor, batchRows);
  } catch (e: unknown) {
    await close();
    throw refusal(e, redact);
  }
  suspended = first.rows.length === batchRows;
  let pending = first.rows;
  async function* rows(): AsyncGenerator<QueryValue[]> {
    try {
      // Only the batch in hand is held: the first is let go once it has been read, as each later one is.
      let batch = pending;
      pending = [];
      yield* batch;
      while (suspended) {
        try {
          batch = (await fetchRows(cursor, batchRows)).rows;
        } catch (e: unknown) {
          suspended = false;
          throw refusal(e, redact);
        }
        suspended = batch.length === batchRows;
        yield* batch;
      }
    } finally {
      await close();
    }
  }
  return { columns: first.columns, rows: rows(), close };
}

function refusal(e: unknown, redact: (text: string) => string): unknown {
  if (!(e instanceof pg.DatabaseError)) return e;
  const message = redact(e.message);
  if (e.code === READ_ONLY_TRANSACTION) {
    return new QueryRefusedError(`query is read-only: ${message}; statements that change the database are refused`, {
      cause: e,
    });
  }
  if (e.code === SYNTAX_ERROR && /multiple commands/.test(e.message)) {
    return new QueryRefusedError('query takes a single SQL statement; run the others separately', { cause: e });
  }
  return new QuerySqlError(message, { cause: e });
}
