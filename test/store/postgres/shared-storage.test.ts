import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { messageText } from '../../../src/store/message-text.js';
import { entryFingerprint } from '../../../src/store/fingerprint.js';
import { cstDayBounds } from '../../../src/wechat/cst-day.js';
import { readServedEntry } from '../../../src/wechat/served-entry.js';
import { engines, freshAppid, type OpenEngine } from './engines.js';

// The storage tests both engines must pass: SQLite through src/store/sqlite/async-sqlite-store.ts,
// PostgreSQL through src/store/postgres/pg-store.ts, on a real server (test/helpers/postgres-server.ts).

const DAY = '20251121';
const { begin, end } = cstDayBounds(DAY);
const T = begin + 3600;

// Served text: Chinese, emoji, numbers, nested values, keys out of order (jsonb would reorder them), a
// number sent as a string (shape drift), a duplicate-free but order-sensitive object.
const SERVED = [
  `{"level":6,"platform":1,"libraryVersion":"3.4.1","clientVersion":"8.0.50","id":"oXu034-Kl5Et2U0vsexKDsFaon0Q",` +
    `"timestamp":${T},"url":"pages/chat/chat","traceid":"trace-1","filterMsg":"NetworkExceed08",` +
    `"msg":[{"time":${T - 1},"level":2,"msg":["hello world 👋"]},` +
    `{"time":${T},"level":4,"msg":["网络请求失败",404,true,null,{"z":1,"a":{"中":"文","b":[1.5,-2,1e-7]}},[1,[2]]]}]}`,
  `{"level":"8","platform":2,"timestamp":"${T + 5}","traceid":"trace-2","msg":[{"time":${T + 5},"level":8,"msg":["支付超时 ⏱",{"code":"E_PAY"}]}]}`,
  `{"level":2,"timestamp":${T + 9},"msg":[]}`,
];

const served = (texts: readonly string[]) => texts.map((t) => readServedEntry(JSON.parse(t)));

describe.each(engines)('storage on $name', (engine) => {
  let open: OpenEngine | undefined;
  afterEach(async () => {
    await open?.close();
    open = undefined;
  });
  const start = async () => (open = await engine.open());

  it('stores every field as served: msg and args JSON text, Chinese, emoji, numbers sent as strings', async () => {
    const { store, entries, messages } = await start();
    const appid = freshAppid();
    const page = served(SERVED);
    expect(await store.savePage(appid, '', page, 1000)).toEqual({ inserted: 3, seen: 3 });
    const rows = await entries(appid);
    expect(rows).toHaveLength(3);
    rows.forEach((row, i) => {
      const e = page[i]!;
      const raw = JSON.parse(SERVED[i]!) as Record<string, unknown>;
      expect(row).toEqual({
        id: expect.any(Number),
        appid,
        traceid: e.traceid,
        timestamp: e.timestamp,
        level: e.level,
        platform: e.platform,
        library_version: e.libraryVersion,
        client_version: e.clientVersion,
        openid: e.openid,
        url: e.url,
        filter_msg: e.filterMsg,
        msg: JSON.stringify(raw['msg']),
        extra: e.extra === null ? null : JSON.stringify(e.extra),
        fingerprint: entryFingerprint(raw),
        first_seen_at: 1000,
        last_seen_at: 1000,
        window_id: null,
      });
    });
    // The served msg text itself, key order and all ("z" before "a").
    expect(rows[0]!.msg).toBe(SERVED[0]!.slice(SERVED[0]!.indexOf('"msg":[') + 6, -1));
    expect(rows[1]!.level).toBe(8);
    expect(JSON.parse(rows[1]!.extra!)).toEqual({ $asServed: { level: '8', timestamp: String(T + 5) } });
    const expectedMessages = page.flatMap((e, i) =>
      e.messages.map((m, seq) => ({
        entry_id: rows[i]!.id,
        seq,
        time: m.time,
        level: m.level,
        args: JSON.stringify(m.args),
        text: messageText(m.args),
        logged_at: m.time ?? e.timestamp,
      })),
    );
    expect(await messages(appid)).toEqual(expectedMessages);
    expect((await messages(appid))[1]!.text).toBe(
      '网络请求失败 404 true null {"z":1,"a":{"中":"文","b":[1.5,-2,1e-7]}} [1,[2]]',
    );
  });

  it('stores nothing twice when a page is saved again, and moves last_seen_at', async () => {
    const { store, entries, messages } = await start();
    const appid = freshAppid();
    await store.savePage(appid, '', served(SERVED), 1000);
    expect(await store.savePage(appid, '', served(SERVED), 2000)).toEqual({ inserted: 0, seen: 3 });
    const rows = await entries(appid);
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => [r.first_seen_at, r.last_seen_at])).toEqual([
      [1000, 2000],
      [1000, 2000],
      [1000, 2000],
    ]);
    expect(await messages(appid)).toHaveLength(3);
    // The same entry twice in one page is one entry too.
    expect(await store.savePage(appid, '', served([SERVED[2]!, SERVED[2]!]), 3000)).toEqual({ inserted: 0, seen: 2 });
    const other = freshAppid();
    expect(await store.savePage(other, '', served([SERVED[0]!, SERVED[0]!]), 3000)).toEqual({ inserted: 1, seen: 2 });
    expect(await messages(other)).toHaveLength(2);
  });

  it('keeps two different entries sharing traceid and timestamp', async () => {
    const { store, entries } = await start();
    const appid = freshAppid();
    const a = `{"timestamp":${T},"traceid":"same","msg":[{"time":${T},"level":2,"msg":["first"]}]}`;
    const b = `{"timestamp":${T},"traceid":"same","msg":[{"time":${T},"level":2,"msg":["second"]}]}`;
    expect(await store.savePage(appid, '', served([a, b]), 1)).toEqual({ inserted: 2, seen: 2 });
    expect((await entries(appid)).map((r) => r.msg)).toEqual([
      JSON.stringify([{ time: T, level: 2, msg: ['first'] }]),
      JSON.stringify([{ time: T, level: 2, msg: ['second'] }]),
    ]);
  });

  // PostgreSQL's btree refuses a value of more than about 2.7 KB: one such url failed its whole page, every
  // time it was read (migrations/postgres/0003). Random base64, so that compression cannot shrink it below that.
  it('stores a page whose url, traceid and openid are 8 KB each, and knows it when it comes again', async () => {
    const { store, entries } = await start();
    const appid = freshAppid();
    const long = () => randomBytes(6000).toString('base64');
    const raw = {
      timestamp: T,
      level: 2,
      traceid: long(),
      id: long(),
      url: `pages/index/index?q=${long()}`,
      msg: [{ time: T, level: 2, msg: ['长的'] }],
    };
    const short = `{"timestamp":${T + 1},"traceid":"t","msg":[{"time":${T + 1},"level":2,"msg":["短的"]}]}`;
    const page = () => [readServedEntry(raw), ...served([short])];
    expect(await store.savePage(appid, '', page(), 1)).toEqual({ inserted: 2, seen: 2 });
    const [row] = await entries(appid);
    expect({ traceid: row?.traceid, openid: row?.openid, url: row?.url }).toEqual({
      traceid: raw.traceid,
      openid: raw.id,
      url: raw.url,
    });
    expect(await store.savePage(appid, '', page(), 2)).toEqual({ inserted: 0, seen: 2 });
    expect((await entries(appid)).map((r) => r.last_seen_at)).toEqual([2, 2]);
  });

  it('finds 请求失败 in 网络请求失败', async () => {
    const { store, search } = await start();
    await store.savePage(freshAppid(), '', served(SERVED), 1);
    const found = await search('请求失败');
    expect(found.length).toBeGreaterThanOrEqual(1);
    expect(found.every((t) => t.includes('网络请求失败'))).toBe(true);
    expect(await search('支付超时')).toContain('支付超时 ⏱ {"code":"E_PAY"}');
  });

  it("writes a page and its window's progress together, and counts a filtered ledger's entries", async () => {
    const { store } = await start();
    const appid = freshAppid();
    const root = await store.windows.dayRoot(appid, 'level=8', DAY, begin, end);
    expect(root).toMatchObject({ appid, filterKey: 'level=8', date: DAY, status: 'pending', parentId: null });
    expect(await store.windows.dayRoot(appid, 'level=8', DAY, begin, end)).toEqual(root);
    await store.savePage(appid, 'level=8', served(SERVED.slice(0, 2)), 10, {
      window: root,
      progress: { nextStart: 2, readTotal: 3, serverTotal: 3 },
    });
    expect(await store.windows.get(root.id)).toMatchObject({
      nextStart: 2,
      readTotal: 3,
      serverTotal: 3,
      checkedAt: 10,
    });
    expect(await store.windows.countStored(appid, 'level=8', begin, end)).toBe(2);
    expect(await store.windows.countStored(appid, '', begin, end)).toBe(2);
    expect(await store.windows.countStored(appid, 'other', begin, end)).toBe(0);
    expect(await store.windows.latestStoredSecond(appid, 'level=8', begin, end)).toBe(T + 5);
    expect(await store.windows.latestStoredSecond(appid, '', begin, T)).toBe(T);
  });

  it('files an entry served without a timestamp under the narrowest window that served it, never twice', async () => {
    const { store, entries, messages } = await start();
    const appid = freshAppid();
    const untimed = `{"traceid":"no-time","msg":[{"level":2,"msg":["没有时间"]}]}`;
    const root = await store.windows.dayRoot(appid, '', DAY, begin, end);
    await expect(store.savePage(appid, '', served([untimed]), 1)).rejects.toThrow(RangeError);
    expect(await store.savePage(appid, '', served([untimed]), 1, { window: root })).toEqual({ inserted: 1, seen: 1 });
    const [lower] = await store.windows.split(root.id, [T], null, 2, 'test');
    expect((await store.windows.get(root.id)).status).toBe('split');
    expect(await store.windows.children(root.id)).toHaveLength(2);
    expect(await store.savePage(appid, '', served([untimed]), 3, { window: lower! })).toEqual({ inserted: 0, seen: 1 });
    const rows = await entries(appid);
    expect(rows.map((r) => [r.timestamp, r.window_id, r.last_seen_at])).toEqual([[lower!.begintime, lower!.id, 3]]);
    expect((await messages(appid)).map((m) => m.logged_at)).toEqual([lower!.begintime]);
    // Served again for the wider root: it stays where it is.
    await store.savePage(appid, '', served([untimed]), 4, { window: root });
    expect((await entries(appid)).map((r) => [r.window_id, r.last_seen_at])).toEqual([[lower!.id, 4]]);
  });

  it('keeps the ledger: checks, split checks, unavailable days, expiry', async () => {
    const { store } = await start();
    const appid = freshAppid();
    const root = await store.windows.dayRoot(appid, '', DAY, begin, end);
    await store.windows.recordCheck(root.id, { status: 'complete', serverTotal: 3, storedCount: 3, at: 5 });
    expect(await store.windows.get(root.id)).toMatchObject({ status: 'complete', completedAt: 5, nextStart: 0 });
    await store.windows.recordSplitCheck(root.id, 4, null, 6);
    expect(await store.windows.get(root.id)).toMatchObject({ serverTotal: 4, storedCount: null, checkedAt: 6 });
    await store.windows.markUnavailable(appid, '', '20251120', 7, 'out of retention');
    const days = await store.windows.windowsForDays(appid, '', '20251120', DAY);
    expect(days.map((w) => [w.date, w.status, w.expiredAt])).toEqual([
      ['20251120', 'unavailable', 7],
      [DAY, 'complete', null],
    ]);
    expect(await store.windows.expireBefore(appid, DAY, 8)).toBe(0);
    expect(await store.windows.expireBefore(appid, '20251122', 8)).toBe(1);
    await expect(store.windows.get(987654)).rejects.toThrow('window 987654 does not exist');
  });

  it('keeps state, runs, apps, scenes and the request log', async () => {
    const { store } = await start();
    const appid = freshAppid();
    expect(await store.state.get(`${appid}:pageSize`)).toBeUndefined();
    await store.state.set(`${appid}:pageSize`, 50, 1);
    await store.state.set(`${appid}:pageSize`, 100, 2);
    expect(await store.state.getNumber(`${appid}:pageSize`)).toBe(100);
    const run = await store.runs.start('run', appid, 42, 10, 'host:42');
    await store.runs.finishRun(run, 11, {
      exitCode: 0,
      searchCalls: 3,
      entriesNew: 2,
      entriesSeen: 2,
      windowsComplete: 1,
      windowsIncomplete: 0,
      rateLimited: 0,
      unexpectedShape: 0,
      errors: 0,
      message: null,
    });
    await store.apps.seen(appid, 10);
    await store.apps.finished(appid, 10, 0, null);
    await store.replaceScenes(appid, [{ value: '1001', name: '发现栏小程序主入口' }], 12);
    expect(await store.requests.tryTake(appid, 1000, 2, 1000)).toBe(0);
    expect(await store.requests.tryTake(appid, 1100, 2, 1000)).toBe(0);
    expect(await store.requests.tryTake(appid, 1200, 2, 1000)).toBe(1000 + 1000 - 1200 + 1);
    expect(await store.requests.since(appid, 0)).toEqual([1000, 1100]);
    await store.requests.pruneBefore(1050);
    expect(await store.requests.since(appid, 0)).toEqual([1100]);
  });

  it("replaces an app's scene list as listed: a value listed twice keeps its first place and its last name", async () => {
    const { store } = await start();
    const appid = freshAppid();
    const other = freshAppid();
    await store.replaceScenes(other, [{ value: '1001', name: '发现栏小程序主入口' }], 10);
    await store.replaceScenes(
      appid,
      [
        { value: '1001', name: '发现栏小程序主入口' },
        { value: '1007', name: '单人聊天会话中的小程序消息卡片' },
      ],
      11,
    );
    await store.replaceScenes(
      appid,
      [
        { value: '1089', name: '微信聊天主界面下拉' },
        { value: '1001', name: 'old name' },
        { value: '1011', name: '扫描二维码' },
        { value: '1001', name: '发现栏小程序主入口' },
      ],
      12,
    );
    expect(await store.listScenes(appid)).toEqual([
      { value: '1089', name: '微信聊天主界面下拉' },
      { value: '1001', name: '发现栏小程序主入口' },
      { value: '1011', name: '扫描二维码' },
    ]);
    await store.replaceScenes(appid, [], 13);
    expect(await store.listScenes(appid)).toEqual([]);
    // Another app's list is its own.
    expect(await store.listScenes(other)).toEqual([{ value: '1001', name: '发现栏小程序主入口' }]);
  });
});
