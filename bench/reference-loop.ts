import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { request } from 'undici';
import { cstDayBounds, recentCstDays } from '../src/wechat/cst-day.js';

/**
 * The bare reference wxlog's ingest is compared with: fetch every page of every day with plain undici,
 * insert its entries and their messages in one transaction per page into a database with wxlog's own
 * tables, indexes and trigram full-text index (migrations/sqlite/0001_init.sql). No ledger, no rate budget, no
 * retry policy, no validation: the least work that leaves the same rows a user can query. The one
 * concession: a GET whose keep-alive connection the server closed just then is sent once more, as any
 * HTTP client must (Node's server drops connections idle for 5 s, and a slow disk can make a page's
 * insert take that long).
 */

export interface ReferenceOptions {
  /** The simulator's origin. */
  apiBase: string;
  appid: string;
  secret: string;
  db: string;
  pageSize: number;
  /** Unix milliseconds deciding which CST days are read (the simulator's calendar). */
  now: number;
}

export interface ReferenceResult {
  entries: number;
  calls: number;
  /** Requests sent again after the server closed their connection. */
  resent: number;
}

interface RawEntry {
  timestamp: number;
  traceid?: string;
  level?: number;
  platform?: number;
  libraryVersion?: string;
  clientVersion?: string;
  id?: string;
  url?: string;
  filterMsg?: string;
  msg?: { time?: number; level?: number; msg?: unknown[] }[];
}

const SCHEMA = fileURLToPath(new URL('../migrations/sqlite/0001_init.sql', import.meta.url));

async function json(url: string, init?: { method: 'POST'; body: string }): Promise<unknown> {
  const { body } = await request(url, init ? { ...init, headers: { 'content-type': 'application/json' } } : {});
  return body.json();
}

function connectionClosed(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET';
}

/** Reads every retention day of the simulator into `options.db`; the file must not exist yet. */
export async function referenceLoop(options: ReferenceOptions): Promise<ReferenceResult> {
  mkdirSync(dirname(options.db), { recursive: true });
  const db = new BetterSqlite3(options.db);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(readFileSync(SCHEMA, 'utf8'));
  const insertEntry = db.prepare(`
    INSERT INTO log_entries (appid, traceid, timestamp, level, platform, library_version, client_version, openid,
                             url, filter_msg, msg, fingerprint, first_seen_at, last_seen_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const insertMessage = db.prepare(
    'INSERT INTO log_messages (entry_id, seq, time, level, args, text) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const savePage = db.transaction((list: RawEntry[], seenAt: number) => {
    for (const e of list) {
      const msg = JSON.stringify(e.msg ?? []);
      // The least a fingerprint can be: a hash of the entry as served (wxlog hashes canonical JSON).
      const fingerprint = createHash('sha256').update(JSON.stringify(e)).digest().subarray(0, 16);
      const id = insertEntry.run(
        options.appid,
        e.traceid ?? null,
        e.timestamp,
        e.level ?? null,
        e.platform ?? null,
        e.libraryVersion ?? null,
        e.clientVersion ?? null,
        e.id ?? null,
        e.url ?? null,
        e.filterMsg ?? null,
        msg,
        fingerprint,
        seenAt,
        seenAt,
      ).lastInsertRowid;
      (e.msg ?? []).forEach((m, seq) => {
        const args = m.msg ?? [];
        const text = args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
        insertMessage.run(id, seq, m.time ?? null, m.level ?? null, JSON.stringify(args), text);
      });
    }
  });

  const token = (await json(`${options.apiBase}/cgi-bin/stable_token`, {
    method: 'POST',
    body: JSON.stringify({ grant_type: 'client_credential', appid: options.appid, secret: options.secret }),
  })) as { access_token: string };
  let entries = 0;
  let calls = 0;
  let resent = 0;
  try {
    for (const date of recentCstDays(Math.floor(options.now / 1000), 7)) {
      const { begin, end } = cstDayBounds(date);
      for (let start = 0; ;) {
        const query = new URLSearchParams({
          access_token: token.access_token,
          date,
          begintime: String(begin),
          endtime: String(end),
          start: String(start),
          limit: String(options.pageSize),
        });
        calls += 1;
        const url = `${options.apiBase}/wxaapi/userlog/userlog_search?${query.toString()}`;
        const answer = (await json(url).catch((e: unknown) => {
          if (!connectionClosed(e)) throw e;
          resent += 1;
          return json(url);
        })) as { errcode: number; data: { list: RawEntry[]; total: number } };
        if (answer.errcode !== 0) throw new Error(`the simulator answered errcode ${answer.errcode}`);
        const { list, total } = answer.data;
        savePage(list, Math.floor(Date.now() / 1000));
        entries += list.length;
        start += list.length;
        if (list.length === 0 || start >= total) break;
      }
    }
  } finally {
    db.close();
  }
  return { entries, calls, resent };
}
