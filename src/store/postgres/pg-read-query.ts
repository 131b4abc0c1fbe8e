import pg from 'pg';
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

/**
 * Runs one statement of `wxlog query` on its own connection to `url`, inside `BEGIN READ ONLY`, rolled back
 * afterwards. The statement goes through the extended protocol (a named prepared statement), which takes one
 * statement only: `SELECT 1; COMMIT; DELETE …` cannot leave the read-only transaction.
 */
export async function pgReadOnlyQuery(url: string, sql: string, redact: (text: string) => string): Promise<QueryRows> {
  const client = new pg.Client({ connectionString: url, types });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('BEGIN READ ONLY');
    const result = await client.query<QueryValue[]>({ name: 'wxlog-query', text: sql, rowMode: 'array' });
    const columns = result.fields.map((f) => f.name);
    const rows = result.rows;
    return {
      columns,
      rows: (async function* () {
        yield* rows;
      })(),
    };
  } catch (e: unknown) {
    throw refusal(e, redact);
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
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
