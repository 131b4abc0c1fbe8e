import type { JsonValue, LogEntry, LogMessage } from '../wechat/types.js';
import { documentExample, EXAMPLE_HEADER } from './document-example.js';
import { createRng, hashInts, type Rng } from './prng.js';

/**
 * Realistic realtime-log entries built from seeds. An entry is a pure function of its session's seed,
 * its own seed, its place in the session and its timestamp, so the store keeps only those numbers and
 * builds the object when a page is served.
 */

export const LEVEL_INFO = 2;
export const LEVEL_WARN = 4;
export const LEVEL_ERROR = 8;

// Separate seed streams, so that changing how one part is drawn never shifts another.
const STREAM_PLAN = 0x91a3;
const STREAM_HEADER = 0x4ead;
const STREAM_CONTENT = 0xc0de;
const STREAM_USER = 0x05e5;

/** Where an entry comes from: everything needed to rebuild it. */
export interface EntrySource {
  /** Seed of the launch (traceid) the entry belongs to. */
  sessionSeed: number;
  /** Unix second the Mini Program was launched: the number in the traceid. */
  launch: number;
  entrySeed: number;
  /** Position of the entry in its session (0 = first). */
  step: number;
  timestamp: number;
  /** The document's example entry (document-example.ts) rather than a generated one. */
  example?: true;
}

/** The fields server-side filters look at, cheap to compute without building messages. */
export interface EntryHeader {
  id: string;
  traceid: string;
  url: string | undefined;
  filterMsg: string | undefined;
  platform: number;
  libraryVersion: string;
  clientVersion: string | undefined;
}

const PAGES = [
  'pages/index/index',
  'pages/goods/detail',
  'pages/cart/cart',
  'pages/order/confirm',
  'pages/pay/result',
  'pages/order/detail',
  'pages/order/list',
  'pages/user/profile',
  'pages/search/search',
  'pages/chat/chat',
  'packageA/pages/coupon/list',
] as const;

const LIBRARY_VERSIONS = ['2.8.3', '2.19.4', '2.25.3', '3.0.2', '3.3.4', '3.4.10', '3.5.8', '3.6.6'] as const;
const CLIENT_VERSIONS = ['7.0.7', '8.0.40', '8.0.44', '8.0.47', '8.0.49', '8.0.50', '8.0.53'] as const;
const FILTER_MSGS = [
  'NetworkExceed08 ReportTimeTotal',
  'pay_fail',
  'login_timeout',
  'order:create',
  '首页加载慢',
  'ws_reconnect',
  'ReportTimeTotal',
] as const;
const OPENID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('');
// 1..6 messages, most entries short.
const MESSAGE_COUNT_WEIGHTS = [30, 25, 18, 12, 9, 6] as const;

// The plan is drawn for every generated entry (150 000 a day at scale), so it avoids allocating a Rng.
let planState = 0;
function planNext(): number {
  planState = (planState + 0x6d2b79f5) | 0;
  let t = Math.imul(planState ^ (planState >>> 15), 1 | planState);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
}

/** Draws an entry's message levels (pushed to `levels` when given); returns their bitwise OR. */
function planMessages(entrySeed: number, levels?: number[]): number {
  planState = hashInts(entrySeed, STREAM_PLAN);
  let roll = Math.floor(planNext() * 100);
  let count = 1;
  for (const weight of MESSAGE_COUNT_WEIGHTS) {
    if (roll < weight) break;
    roll -= weight;
    count += 1;
  }
  let or = 0;
  for (let i = 0; i < count; i++) {
    const r = planNext();
    const level = r < 0.86 ? LEVEL_INFO : r < 0.95 ? LEVEL_WARN : LEVEL_ERROR;
    levels?.push(level);
    or |= level;
  }
  return or;
}

/** Levels of an entry's messages, in order (1 to 6 of them). */
export function messageLevels(entrySeed: number): number[] {
  const levels: number[] = [];
  planMessages(entrySeed, levels);
  return levels;
}

/** An entry's `level`: the bitwise OR of its messages' levels, as the document defines it. */
export function entryLevel(entrySeed: number): number {
  return planMessages(entrySeed);
}

export class DataGenerator {
  readonly #seed: number;
  readonly #users: number;
  readonly #openids = new Map<number, string>();

  /** `users` is the size of the OpenID pool entries draw from; the same users appear on every day. */
  constructor(seed: number, users: number) {
    this.#seed = seed;
    this.#users = Math.max(1, users);
  }

  openid(user: number): string {
    let openid = this.#openids.get(user);
    if (openid === undefined) {
      const rng = createRng(hashInts(this.#seed, user, STREAM_USER));
      openid = 'oXu0';
      while (openid.length < 28) openid += rng.pick(OPENID_ALPHABET);
      this.#openids.set(user, openid);
    }
    return openid;
  }

  header(source: EntrySource): EntryHeader {
    if (source.example) return EXAMPLE_HEADER;
    const session = createRng(source.sessionSeed);
    const user = session.int(this.#users);
    const platform = session.chance(0.55) ? 1 : 2;
    const libraryVersion = session.pick(LIBRARY_VERSIONS);
    const clientVersion = session.chance(0.08) ? undefined : session.pick(CLIENT_VERSIONS);
    const firstPage = session.int(PAGES.length);
    const own = createRng(hashInts(source.entrySeed, STREAM_HEADER));
    const url = own.chance(0.05) ? undefined : PAGES[(firstPage + source.step + own.int(2)) % PAGES.length];
    const filterMsg = own.chance(0.7) ? undefined : own.pick(FILTER_MSGS);
    const id = this.openid(user);
    return { id, traceid: `${id}_${source.launch}`, url, filterMsg, platform, libraryVersion, clientVersion };
  }

  /** The entry as `userlog_search` lists it, fields in the document's order, absent ones left out. */
  buildEntry(source: EntrySource, header: EntryHeader = this.header(source)): LogEntry {
    if (source.example) return documentExample(source.timestamp);
    const levels = messageLevels(source.entrySeed);
    const rng = createRng(hashInts(source.entrySeed, STREAM_CONTENT));
    const ctx: MessageContext = { rng, url: header.url ?? 'pages/index/index', openid: header.id };
    const msg: LogMessage[] = [];
    // Message times run up to the entry's timestamp: the entry is reported after its last call.
    let time = source.timestamp - rng.int(2);
    const times: number[] = [];
    for (let i = 0; i < levels.length; i++) {
      times.unshift(time);
      time -= rng.int(3);
    }
    levels.forEach((level, i) => {
      // The first message always carries a high-entropy value, so two entries of one launch logged in
      // the same second still differ in content (storage tells them apart by a fingerprint).
      const args = i === 0 ? firstMessage(ctx) : rng.pick(TEMPLATES[level] ?? TEMPLATES[LEVEL_INFO] ?? [])(ctx);
      msg.push({ time: times[i] ?? source.timestamp, msg: args, level });
    });
    const entry: LogEntry = {
      level: levels.reduce((acc, l) => acc | l, 0),
      platform: header.platform,
      libraryVersion: header.libraryVersion,
      ...(header.clientVersion === undefined ? {} : { clientVersion: header.clientVersion }),
      id: header.id,
      timestamp: source.timestamp,
      msg,
      ...(header.url === undefined ? {} : { url: header.url }),
      traceid: header.traceid,
      ...(header.filterMsg === undefined ? {} : { filterMsg: header.filterMsg }),
    };
    if (levels.length < 6 && rng.chance(0.015))
      padToNearFiveKb(entry, msg, levels[levels.length - 1] ?? LEVEL_INFO, rng);
    return entry;
  }
}

interface MessageContext {
  rng: Rng;
  url: string;
  openid: string;
}

type Template = (ctx: MessageContext) => JsonValue[];

const API_PATHS = ['/v1/goods', '/v1/cart', '/v1/order/create', '/v1/user/info', '/v1/coupon/list', '/v2/pay/prepay'];

const hex = (rng: Rng, digits: number): string => {
  let out = '';
  for (let i = 0; i < digits; i++) out += '0123456789abcdef'[rng.int(16)] ?? '0';
  return out;
};

function firstMessage(ctx: MessageContext): JsonValue[] {
  const { rng } = ctx;
  switch (rng.int(4)) {
    case 0:
      return [
        '[page] onShow',
        { path: ctx.url, query: { id: String(rng.int(10_000_000)) }, scene: 1001 + rng.int(200) },
      ];
    case 1:
      return [`request ok ${hex(rng, 8)}`, `https://api.example.com${rng.pick(API_PATHS)}`, 200, rng.int(90_000) / 100];
    case 2:
      return ['setData cost(ms)', rng.int(1_000_000) / 1000, { keys: ['list', 'loading'], requestId: hex(rng, 12) }];
    default:
      return ['🚀 launch', { coldStart: rng.chance(0.3), costMs: rng.int(5000), sessionKey: hex(rng, 10) }];
  }
}

const TEMPLATES: Record<number, Template[]> = {
  [LEVEL_INFO]: [
    ({ rng }) => ['用户点击按钮 👍', rng.pick(['立即购买', '加入购物车', '分享给好友', '领取优惠券']), rng.int(20)],
    ({ rng }) => ['cache', rng.pick(['userInfo', 'cartCount', 'addressList']), rng.chance(0.5)],
    () => ['userInfo', null],
    ({ rng }) => ['scroll', [rng.int(2000), rng.int(2000), -rng.int(50)], rng.chance(0.5)],
    ({ rng, url }) => ['navigateTo', url, { success: true, delta: rng.int(3) }],
    ({ rng, openid }) => ['login ok', { openid, isNew: rng.chance(0.1), unionid: null }],
    ({ rng }) => [`多行\n文本\t"引号" \\ 反斜杠 ${rng.int(100)}`],
    ({ rng }) => ['price', rng.int(100_000) / 100, 'CNY', 0, -1.5e-7],
    () => [],
  ],
  [LEVEL_WARN]: [
    ({ rng }) => ['slow request', `https://api.example.com${rng.pick(API_PATHS)}`, { costMs: 1500 + rng.int(8000) }],
    ({ rng }) => ['storage nearly full', { currentSize: 9000 + rng.int(1240), limitSize: 10240 }],
    ({ rng }) => ['⚠️ 重试请求', rng.int(5) + 1, 'times', { backoff: [100, 200, 400] }],
    () => ['deprecated API wx.getUserInfo', { replacement: 'wx.getUserProfile' }, false],
  ],
  [LEVEL_ERROR]: [
    ({ rng, url }) => ['网络请求失败', { errMsg: 'request:fail timeout', errno: 5, url, retry: rng.int(3) }],
    ({ rng }) => [
      '支付失败',
      { errCode: -2, errMsg: 'requestPayment:fail cancel', orderId: `E${rng.int(1e9)}` },
      false,
    ],
    ({ url }) => [
      "TypeError: Cannot read property 'length' of undefined",
      `at Object.onLoad (${url}.js:42:17)\n    at Function.<anonymous> (WAService.js:1:1)`,
    ],
    () => ['JSON.parse 失败 😢', 'Unexpected token \u2028 in JSON at position 0', null, { raw: '{"a":' }],
  ],
};

const GOODS_NAMES = ['保温杯', '无线耳机', 'USB-C 数据线', '茶叶礼盒', '运动鞋', '🍎 苹果 5kg'];

/** Some entries carry a big payload, so that ~5 KB entries (the largest the API serves, docs/real-api.md) are exercised. */
function padToNearFiveKb(entry: LogEntry, msg: LogMessage[], level: number, rng: Rng): void {
  const items: JsonValue[] = [];
  const target = 4600 + rng.int(400);
  // Same level as the last message, so the entry's level (the OR of all) stays what the plan said.
  const dump: LogMessage = { time: entry.timestamp, msg: ['response dump', { code: 0, items }], level };
  msg.push(dump);
  let size = Buffer.byteLength(JSON.stringify(entry));
  for (;;) {
    const item = {
      sku: `SKU-${rng.int(1_000_000)}`,
      name: rng.pick(GOODS_NAMES),
      price: rng.int(100_000) / 100,
      qty: rng.int(5) + 1,
      tags: rng.chance(0.5) ? ['新品', '🔥'] : [],
    };
    const itemSize = Buffer.byteLength(JSON.stringify(item)) + 1;
    if (size + itemSize > target) break;
    items.push(item);
    size += itemSize;
  }
}
