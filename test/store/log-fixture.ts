import { savePage } from '../helpers/save-page.js';
import { Store } from '../../src/store/store.js';
import { cstDayOf, type CstDay } from '../../src/wechat/cst-day.js';
import type { JsonValue, LogEntry } from '../../src/wechat/types.js';

export const APPID = 'wx1234567890abcdef';
export const OTHER_APPID = 'wxfedcba0987654321';

/** One message as the fixture wrote it, with what a search should see. */
export interface FixtureMessage {
  appid: string;
  entryIndex: number;
  seq: number;
  time: number;
  entryTimestamp: number;
  level: number;
  url: string | null;
  traceid: string | null;
  args: JsonValue[];
}

export interface Fixture {
  path: string;
  now: number;
  entries: { appid: string; entry: LogEntry }[];
  messages: FixtureMessage[];
}

// Argument lists real mini programs log: Chinese, numbers, booleans, null, objects, arrays, and text that
// is awkward for CSV (quotes, commas, line breaks), FTS (quotes, operators) and LIKE (% and _).
const CALLS: { level: number; args: JsonValue[] }[] = [
  { level: 2, args: ['页面加载完成', { page: 'index', cost: 123 }] },
  { level: 4, args: ['网络请求失败', 404, 'https://api.example.com/v1/chat?x=1'] },
  { level: 8, args: ['支付超时', true, null, [1, [2, 3]]] },
  { level: 2, args: ['say "hi", then\nnew line', 42] },
  { level: 4, args: ['a"b OR c', 'NEAR(x)'] },
  { level: 8, args: ['100% done_ok', { nested: { 中文: ['值', 1.5] } }] },
  { level: 2, args: ['用户点击了按钮'] },
];

const PAGES = ['pages/index/index', 'pages/chat/chat', 'pages/pay/pay'];

export interface FixtureOptions {
  /** Entries per day, spread over the day before `now`'s instant (default 6). */
  perDay?: number;
  /** Days back from `now` that get entries (default 10: some outside a 7-day lookback). */
  days?: number;
  /** Bytes of padding in each entry older than this many days (to make a prune's VACUUM visible). */
  padOlderThanDays?: number;
}

/**
 * Builds a wxlog database at `path` through the real store (`Store.savePage`): entries of two apps over
 * the `days` days before `now`, each with one to three messages. Returns what was written, so that
 * tests compute their expectations from the fixture rather than from wxlog's output.
 */
export function buildFixture(path: string, now: number, options: FixtureOptions = {}): Fixture {
  const perDay = options.perDay ?? 6;
  const days = options.days ?? 10;
  const entries: Fixture['entries'] = [];
  const messages: FixtureMessage[] = [];
  let index = 0;
  for (let d = 0; d < days; d += 1) {
    for (let k = 0; k < perDay; k += 1) {
      // Spread over the 24 hours before "now minus d days", never closer than 10 minutes to now.
      const timestamp = now - d * 86_400 - 600 - Math.floor((k * 86_000) / perDay);
      const appid = index % 5 === 4 ? OTHER_APPID : APPID;
      const calls = [0, 1, 2].slice(0, 1 + (index % 3)).map((j) => CALLS[(index + j) % CALLS.length]!);
      const padded = options.padOlderThanDays !== undefined && d > options.padOlderThanDays;
      const entry: LogEntry = {
        timestamp,
        level: calls.reduce((l, c) => l | c.level, 0),
        platform: 1 + (index % 2),
        libraryVersion: '3.4.1',
        clientVersion: index % 2 === 0 ? '8.0.50' : '8.0.49',
        id: `oXu034-user${index % 4}`,
        msg: calls.map((c, seq) => ({
          time: timestamp - (calls.length - 1 - seq),
          level: c.level,
          msg: padded ? [...c.args, 'x'.repeat(4000)] : c.args,
        })),
        ...(index % 7 === 6 ? {} : { url: PAGES[index % PAGES.length] }),
        ...(index % 9 === 8 ? {} : { traceid: `oXu03410akoNqfsr_${1_700_000_000 + index}` }),
      };
      entries.push({ appid, entry });
      entry.msg?.forEach((m, seq) => {
        messages.push({
          appid,
          entryIndex: index,
          seq,
          time: m.time ?? timestamp,
          entryTimestamp: timestamp,
          level: m.level ?? 0,
          url: entry.url ?? null,
          traceid: entry.traceid ?? null,
          args: m.msg ?? [],
        });
      });
      index += 1;
    }
  }
  const store = Store.open(path);
  try {
    for (const appid of [APPID, OTHER_APPID]) {
      savePage(
        store,
        appid,
        '',
        entries.filter((e) => e.appid === appid).map((e) => e.entry),
        now,
      );
    }
  } finally {
    store.close();
  }
  return { path, now, entries, messages };
}

/** The entries of `appid` (all apps when omitted) logged on the CST day `date`. */
export function entriesOnDay(fixture: Fixture, date: CstDay, appid?: string): number {
  return fixture.entries.filter(
    (e) => cstDayOf(e.entry.timestamp) === date && (appid === undefined || e.appid === appid),
  ).length;
}
