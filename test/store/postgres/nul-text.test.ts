import { afterEach, describe, expect, inject, it } from 'vitest';
import { messageText } from '../../../src/store/message-text.js';
import { PgStore } from '../../../src/store/postgres/pg-store.js';
import { cstDayBounds } from '../../../src/wechat/cst-day.js';
import { readServedEntry } from '../../../src/wechat/served-entry.js';
import { createTestDatabase } from '../../helpers/postgres-server.js';
import { freshAppid } from './engines.js';

// PostgreSQL's text cannot hold U+0000. A served string with one (a client logging a binary buffer) made the
// whole page's insert fail, every run, so the rest of its day was never read (docs/postgres.md, "Schema
// differences from SQLite"): the text columns take U+FFFD for it, the JSON columns keep it as served.

const T = cstDayBounds('20251121').begin + 3600;
const NUL = '\u0000';

let store: PgStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe('a served string holding U+0000, on PostgreSQL', () => {
  it('stores the page: U+FFFD in the text columns, \\u0000 kept in msg; the same page again is known', async () => {
    store = await PgStore.open(await createTestDatabase(inject('postgresUrl'), 'wxlog_nul'));
    const appid = freshAppid();
    const raw = [
      {
        timestamp: T,
        level: 2,
        traceid: `tr${NUL}ace`,
        id: `o${NUL}penid`,
        url: `pages/a${NUL}`,
        filterMsg: `f${NUL}`,
        libraryVersion: `3.4${NUL}`,
        clientVersion: `8${NUL}`,
        msg: [{ time: T, level: 2, msg: [`bin${NUL}ary`, { k: NUL }] }],
      },
      { timestamp: T + 1, level: 2, traceid: 'plain', msg: [{ time: T + 1, level: 2, msg: ['网络请求失败'] }] },
    ];
    const page = raw.map(readServedEntry);
    expect(await store.savePage(appid, '', page, 1000)).toEqual({ inserted: 2, seen: 2 });
    const { rows } = await store.pool.query<Record<string, string>>(
      `SELECT traceid, openid, url, filter_msg, library_version, client_version, msg::text AS msg
       FROM log_entries WHERE appid = $1 ORDER BY timestamp`,
      [appid],
    );
    expect(rows[0]).toEqual({
      traceid: 'tr\uFFFDace',
      openid: 'o\uFFFDpenid',
      url: 'pages/a\uFFFD',
      filter_msg: 'f\uFFFD',
      library_version: '3.4\uFFFD',
      client_version: '8\uFFFD',
      msg: JSON.stringify(raw[0]!.msg),
    });
    expect(rows[0]!.msg).toContain('\\u0000');
    expect(JSON.parse(rows[0]!.msg!)).toEqual(raw[0]!.msg);
    expect(rows[1]!.traceid).toBe('plain');
    const { rows: messages } = await store.pool.query<{ text: string; args: string }>(
      `SELECT m.text, m.args::text AS args FROM log_messages m JOIN log_entries e ON e.id = m.entry_id
       WHERE e.appid = $1 ORDER BY m.logged_at`,
      [appid],
    );
    // The text search reads is messageText's (src/store/message-text.ts, shared with SQLite), U+0000 replaced.
    expect(messages.map((m) => m.text)).toEqual(
      page.map((e) => messageText(e.messages[0]!.args).replaceAll(NUL, '\uFFFD')),
    );
    expect(messages[0]!.text).toContain('bin\uFFFDary');
    expect(JSON.parse(messages[0]!.args)).toEqual(raw[0]!.msg[0]!.msg);
    // Identity is the served entry's: fetched again, nothing is new.
    expect(await store.savePage(appid, '', raw.map(readServedEntry), 1001)).toEqual({ inserted: 0, seen: 2 });
  });
});
