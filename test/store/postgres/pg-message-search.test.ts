import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../../../src/simulator/prng.js';
import { searchMessages, type MessageHit, type MessageQuery } from '../../../src/store/message-search.js';
import { pgSearchMessages } from '../../../src/store/postgres/pg-message-search.js';
import { PgStore } from '../../../src/store/postgres/pg-store.js';
import { Store } from '../../../src/store/store.js';
import { readServedEntry } from '../../../src/wechat/served-entry.js';
import type { JsonValue } from '../../../src/wechat/types.js';
import { freshAppid, postgresTestDatabase } from './engines.js';

// PostgreSQL's search reads the newest messages first and asks the trigram index only when they hold too
// few matches: both ways, and SQLite's search (checked against a reference in test/store/message-search.test.ts),
// give the same newest messages for any text and filter.

const T = Date.parse('2026-11-22T12:40:00+08:00') / 1000;
const phrases = ['网络请求失败', '请求成功', 'Timeout ERR', 'timeout', '支付请求失败', '50%_done', 'ab'];

const dir = mkdtempSync(join(tmpdir(), 'wxlog-pg-search-'));
let sqlite: Store;
let pg: PgStore;
const apps = [freshAppid(), freshAppid()];

beforeAll(async () => {
  sqlite = Store.open(join(dir, 'wxlog.db'));
  pg = await PgStore.open(await postgresTestDatabase());
  const rng = createRng(20261202);
  for (let i = 0; i < 400; i += 1) {
    const appid = rng.pick(apps);
    const timestamp = T - rng.int(3 * 86_400);
    const msg = Array.from({ length: 1 + rng.int(3) }, () => ({
      ...(rng.chance(0.7) ? { time: timestamp + rng.int(5) } : {}),
      level: rng.pick([2, 4, 8]),
      msg: [rng.pick(phrases), rng.int(1000)] as JsonValue[],
    }));
    const entry = { timestamp, traceid: `trace-${i}`, level: 2, msg };
    sqlite.savePage(appid, '', [readServedEntry(entry)], T);
    await pg.savePage(appid, '', [readServedEntry(entry)], T);
  }
}, 60_000);

afterAll(async () => {
  sqlite.close();
  await pg.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What identifies a hit across engines (their ids differ). */
const key = (h: MessageHit): string => JSON.stringify([h.appid, h.traceid, h.time, h.timestamp, h.level, h.text]);

describe('search on PostgreSQL', () => {
  it('finds the same newest messages reading the newest first, through the trigram index, and as SQLite does', async () => {
    const rng = createRng(7);
    let byNewest = 0;
    for (let i = 0; i < 60; i += 1) {
      const q: MessageQuery = {
        text: rng.pick(['请求失败', '请求', 'timeout', 'ERR', 'ab', '%_', '支付请求', 'nothing like it']),
        limit: rng.pick([1, 5, 20, 1000]),
        ...(rng.chance(0.3) ? { minLevel: rng.pick([4, 8]) } : {}),
        ...(rng.chance(0.3) ? { since: T - rng.int(3 * 86_400) } : {}),
        ...(rng.chance(0.4) ? { appid: rng.pick(apps) } : {}),
      };
      const expected = searchMessages(sqlite.db, q).map(key);
      const indexOnly = (await pgSearchMessages(pg.pool, q, 0)).map(key);
      expect(indexOnly, JSON.stringify(q)).toEqual(expected);
      for (const scan of [3, 50, 10_000]) {
        const hits = await pgSearchMessages(pg.pool, q, scan);
        expect(hits.map(key), `${JSON.stringify(q)} scanning ${scan}`).toEqual(expected);
        // Ids are PostgreSQL's own, the same whichever way they were found.
        expect(hits.map((h) => h.messageId)).toEqual((await pgSearchMessages(pg.pool, q, 0)).map((h) => h.messageId));
      }
      if (expected.length === q.limit) byNewest += 1;
    }
    // Enough queries were answered from the newest messages alone, not only by the index.
    expect(byNewest).toBeGreaterThan(10);
  });
});
