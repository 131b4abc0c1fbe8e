import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { SchemaError } from '../../../src/store/migrator.js';
import { createPool, redactDatabaseUrl } from '../../../src/store/postgres/connection.js';
import {
  loadPostgresMigrations,
  migratePostgres,
  postgresMigrationsDir,
} from '../../../src/store/postgres/migrator.js';
import { PgStore } from '../../../src/store/postgres/pg-store.js';
import { createTestDatabase } from '../../helpers/postgres-server.js';
import { tempDir } from '../../helpers/temp-dir.js';

const server = () => inject('postgresUrl');

describe('postgres migrator', () => {
  it('ends with one applied history when 4 clients migrate a new database at once', async () => {
    const url = await createTestDatabase(server());
    const pools = [1, 2, 3, 4].map(() => createPool(url, 2));
    try {
      const results = await Promise.all(pools.map((p) => migratePostgres(p)));
      const migrations = loadPostgresMigrations();
      for (const r of results)
        expect(r.map((m) => m.status).every((s) => s === 'applied' || s === 'already-applied')).toBe(true);
      // Each migration applied by exactly one client.
      for (const [i] of migrations.entries()) {
        expect(results.filter((r) => r[i]?.status === 'applied')).toHaveLength(1);
      }
      const { rows } = await pools[0]!.query<{ version: number; name: string }>(
        'SELECT version, name FROM schema_migrations ORDER BY version',
      );
      expect(rows).toEqual(migrations.map((m) => ({ version: m.version, name: m.name })));
      const again = await migratePostgres(pools[1]!);
      expect(again.map((m) => m.status)).toEqual(migrations.map(() => 'already-applied'));
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('refuses a database whose schema is newer than the program', async () => {
    const url = await createTestDatabase(server());
    const dir = join(tempDir(), 'migrations');
    mkdirSync(dir);
    const migrations = loadPostgresMigrations();
    for (const m of migrations) {
      const file = `${String(m.version).padStart(4, '0')}_${m.name}.sql`;
      copyFileSync(join(postgresMigrationsDir, file), join(dir, file));
    }
    writeFileSync(
      join(dir, `${String(migrations.length + 1).padStart(4, '0')}_future.sql`),
      'CREATE TABLE future (x int);',
    );
    await (await PgStore.open(url, { migrationsDir: dir })).close();
    const open = PgStore.open(url);
    await expect(open).rejects.toThrow(SchemaError);
    await expect(open).rejects.toThrow(
      `the database's schema is version ${migrations.length + 1}, newer than this wxlog (knows ${migrations.length}): upgrade wxlog`,
    );
  });

  it('reports a failing migration and runs none after it, leaving nothing of it behind', async () => {
    const url = await createTestDatabase(server());
    const dir = join(tempDir(), 'migrations');
    mkdirSync(dir);
    writeFileSync(join(dir, '0001_good.sql'), 'CREATE TABLE good (x int);');
    writeFileSync(join(dir, '0002_bad.sql'), 'CREATE TABLE half (x int); SELECT no_such_function();');
    writeFileSync(join(dir, '0003_later.sql'), 'CREATE TABLE later (x int);');
    const pool = createPool(url, 1);
    try {
      const results = await migratePostgres(pool, loadPostgresMigrations(dir));
      expect(results.map((r) => r.status)).toEqual(['applied', 'error', 'not-executed']);
      const { rows } = await pool.query<{ t: string }>(
        "SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
      );
      expect(rows.map((r) => r.t)).toEqual(['good', 'schema_migrations']);
      await expect(PgStore.open(url, { migrationsDir: dir })).rejects.toThrow(
        /migration 0002_bad failed: .*no_such_function/,
      );
    } finally {
      await pool.end();
    }
  });

  it('refuses a database whose ctype cannot search Chinese, saying how to make one that can', async () => {
    const admin = new pg.Client({ connectionString: server() });
    await admin.connect();
    const name = `wxlog_c_locale_${process.pid}`;
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'`);
    await admin.end();
    const url = new URL(server());
    url.pathname = `/${name}`;
    await expect(PgStore.open(url.toString())).rejects.toThrow(
      new RegExp(`database "${name}" has encoding UTF8 and ctype C: wxlog needs encoding UTF8 and a UTF-8 ctype`),
    );
  });

  it('never shows the password of a URL it cannot open', async () => {
    const url = new URL(server());
    url.username = 'wxlog';
    url.password = 's3cr3t-pass';
    const error = await PgStore.open(url.toString()).then(
      async (opened) => {
        await opened.close();
        return new Error('opened');
      },
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain('postgres://wxlog:***@127.0.0.1');
    expect(`${error.message} ${error.stack}`).not.toContain('s3cr3t-pass');
    expect(redactDatabaseUrl('postgresql://u:p%40ss@db.example:5432/wxlog')).toBe(
      'postgresql://u:***@db.example:5432/wxlog',
    );
    expect(redactDatabaseUrl('postgres://u@host/db')).toBe('postgres://u@host/db');
    expect(redactDatabaseUrl('postgres://u@host/db?sslmode=require&password=p%40ss&sslpassword=k3y')).toBe(
      'postgres://u@host/db?sslmode=require&password=***&sslpassword=***',
    );
    expect(redactDatabaseUrl('postgres://u:pw@[bad/db?password=p@ss&x=1')).toBe(
      'postgres://u:***@[bad/db?password=***&x=1',
    );
  });
});
