import { Socket } from 'node:net';
import pg from 'pg';

// Here for the PostgreSQL store's own modules; the functions live where loading them does not load `pg`.
export { isPostgresUrl, redactDatabaseUrl } from '../database-url.js';

/** A pool or one of its clients: what the statements of src/store/postgres/ run on. */
export type Queryable = pg.Pool | pg.PoolClient;

const INT8 = 20;
const NUMERIC = 1700;

// Unix seconds and milliseconds and counts are bigint columns; pg returns int8 as text by default (it can
// exceed 2^53). Ours never do, so they come back as numbers. json columns are parsed as usual; the tests
// read msg::text to compare it with the served text. A per-pool setting, so the global `pg.types` is left alone.
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === INT8 || oid === NUMERIC) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * A connection's socket, closed as soon as pg's goodbye (Terminate) has been written, as libpq closes its own.
 * pg would keep it open until the server closes its end, which the server does only once the backend has exited
 * (statistics written, caches freed): 4–6 ms here after a query on log_lines, all of it
 * spent by every `wxlog query` before the process could exit. (Over TLS, Node already closed without waiting.)
 */
function socket(): Socket {
  const s = new Socket();
  s.once('finish', () => s.destroy());
  return s;
}

export interface PoolOptions {
  /**
   * Run every transaction of the pool's connections at READ COMMITTED, whatever the database's or the role's
   * default_transaction_isolation says: the writers' locking relies on it (docs/postgres.md, "Rate budget").
   */
  readCommitted?: boolean;
  /** idle_in_transaction_session_timeout of the pool's sessions, in milliseconds. */
  idleInTransactionMs?: number;
}

// Sent in each connection's startup packet, before the URL's own `options` (which may set what they like).
const READ_COMMITTED = '-c default_transaction_isolation=read\\ committed';

/** `url` with `ours` before its `options` parameter's own, the startup options node-postgres sends. */
function withStartupOptions(url: string, ours: readonly string[]): string {
  if (ours.length === 0) return url;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    // Not a URL this parser reads: the driver will say what is wrong with it.
    return url;
  }
  const theirs = u.searchParams.get('options');
  u.searchParams.set('options', [...ours, ...(theirs === null || theirs === '' ? [] : [theirs])].join(' '));
  return u.toString();
}

/** A connection pool for `url`, with wxlog's type parsers. */
export function createPool(url: string, max = 10, options: PoolOptions = {}): pg.Pool {
  // Under REPEATABLE READ, a transaction's snapshot is its first statement's: one that waited for the rate
  // budget's row lock did not see what the holder had just recorded, and two takers both took the last slot;
  // workers migrating at once collided in schema_migrations.
  const idle = options.idleInTransactionMs;
  if (idle !== undefined && (!Number.isInteger(idle) || idle < 1))
    throw new RangeError(`Expected \`idleInTransactionMs\` to be an integer >= 1, got ${idle}`);
  const connectionString = withStartupOptions(url, [
    ...(options.readCommitted ? [READ_COMMITTED] : []),
    ...(idle !== undefined ? [`-c idle_in_transaction_session_timeout=${idle}`] : []),
  ]);
  const pool = new pg.Pool({ connectionString, max, types, stream: socket });
  // An idle client's error (the server restarted) would otherwise crash the process; the next query fails
  // on its own and says why.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * Runs `work` in one transaction on a client of `pool`: committed when it resolves, rolled back when it
 * throws (and the error rethrown).
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // pg-pool listens for a checked-out client's errors no more: a connection the server cuts now (a restart,
  // a failover, pg_terminate_backend) would be an unhandled 'error' event, which ends the process. The
  // statement in flight fails with it all the same, and the client is dropped below.
  const ignore = (): void => undefined;
  client.on('error', ignore);
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (e: unknown) {
    // A client that cannot even roll back is dropped from the pool rather than reused.
    await client.query('ROLLBACK').catch(() => (broken = true));
    throw e;
  } finally {
    client.removeListener('error', ignore);
    client.release(broken);
  }
}
