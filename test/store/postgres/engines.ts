import { join } from 'node:path';
import { inject } from 'vitest';
import type { AsyncStore } from '../../../src/store/async-store.js';
import { PgStore } from '../../../src/store/postgres/pg-store.js';
import { AsyncSqliteStore } from '../../../src/store/sqlite/async-sqlite-store.js';
import { Store } from '../../../src/store/store.js';
import { createTestDatabase } from '../../helpers/postgres-server.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** A log_entries row as both engines give it back: JSON columns as their stored text. */
export interface EntryRow {
  id: number;
  appid: string;
  traceid: string | null;
  timestamp: number;
  level: number | null;
  platform: number | null;
  library_version: string | null;
  client_version: string | null;
  openid: string | null;
  url: string | null;
  filter_msg: string | null;
  msg: string;
  extra: string | null;
  fingerprint: Buffer;
  first_seen_at: number;
  last_seen_at: number;
  window_id: number | null;
}

export interface MessageRow {
  entry_id: number;
  seq: number;
  time: number | null;
  level: number | null;
  args: string;
  text: string;
  logged_at: number;
}

/** An open store of one engine, with the reads the storage tests compare by (SQL differs per engine). */
export interface OpenEngine {
  store: AsyncStore;
  entries: (appid: string) => Promise<EntryRow[]>;
  messages: (appid: string) => Promise<MessageRow[]>;
  /** The texts of messages that contain `phrase`, through the engine's substring index. */
  search: (phrase: string) => Promise<string[]>;
  close: () => Promise<void>;
}

export interface Engine {
  name: 'sqlite' | 'postgres';
  open(): Promise<OpenEngine>;
}

const ENTRY_COLUMNS = `id, appid, traceid, timestamp, level, platform, library_version, client_version, openid, url,
  filter_msg, msg, extra, fingerprint, first_seen_at, last_seen_at, window_id`;

const sqlite: Engine = {
  name: 'sqlite',
  async open() {
    const sync = Store.open(join(tempDir(), 'wxlog.db'));
    const store = new AsyncSqliteStore(sync);
    return {
      store,
      entries: async (appid) =>
        sync.db
          .prepare(`SELECT ${ENTRY_COLUMNS} FROM log_entries WHERE appid = ? ORDER BY id`)
          .all(appid) as EntryRow[],
      messages: async (appid) =>
        sync.db
          .prepare(
            `SELECT m.entry_id, m.seq, m.time, m.level, m.args, m.text, m.logged_at FROM log_messages m
             JOIN log_entries e ON e.id = m.entry_id WHERE e.appid = ? ORDER BY m.entry_id, m.seq`,
          )
          .all(appid) as MessageRow[],
      search: async (phrase) =>
        (
          sync.db
            .prepare(
              `SELECT m.text FROM log_messages_fts f JOIN log_messages m ON m.id = f.rowid
               WHERE log_messages_fts MATCH ? ORDER BY m.id`,
            )
            .all(`"${phrase}"`) as { text: string }[]
        ).map((r) => r.text),
      close: () => store.close(),
    };
  },
};

/** One database per test file, shared by its tests (each test uses its own AppIDs). */
let databaseUrl: Promise<string> | undefined;

export function postgresTestDatabase(): Promise<string> {
  databaseUrl ??= createTestDatabase(inject('postgresUrl'));
  return databaseUrl;
}

const postgres: Engine = {
  name: 'postgres',
  async open() {
    const store = await PgStore.open(await postgresTestDatabase());
    return {
      store,
      entries: async (appid) =>
        (
          await store.pool.query<EntryRow>(
            `SELECT ${ENTRY_COLUMNS.replace('msg, extra', 'msg::text AS msg, extra::text AS extra')}
             FROM log_entries WHERE appid = $1 ORDER BY id`,
            [appid],
          )
        ).rows,
      messages: async (appid) =>
        (
          await store.pool.query<MessageRow>(
            `SELECT m.entry_id, m.seq, m.time, m.level, m.args::text AS args, m.text, m.logged_at FROM log_messages m
             JOIN log_entries e ON e.timestamp = m.entry_timestamp AND e.id = m.entry_id
             WHERE e.appid = $1 ORDER BY m.entry_id, m.seq`,
            [appid],
          )
        ).rows,
      search: async (phrase) =>
        (
          await store.pool.query<{ text: string }>(
            `SELECT text FROM log_messages WHERE text ILIKE '%' || $1 || '%' ORDER BY id`,
            [phrase],
          )
        ).rows.map((r) => r.text),
      close: () => store.close(),
    };
  },
};

/** Both engines, for `describe.each`. */
export const engines: Engine[] = [sqlite, postgres];

let counter = 0;

/** An AppID no other test of this file uses. */
export function freshAppid(): string {
  counter += 1;
  return `wxtest${process.pid}n${counter}`;
}
