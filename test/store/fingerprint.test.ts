import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { canonicalJson, entryFingerprint } from '../../src/store/fingerprint.js';
import { Store } from '../../src/store/store.js';
import { savePage } from '../helpers/save-page.js';
import { tempDir } from '../helpers/temp-dir.js';

// The example answer's entry of docs/realtimelog-search (userlog_search), as the server writes it.
const EXAMPLE = {
  level: 6,
  platform: 1,
  libraryVersion: '2.8.3',
  clientVersion: '7.0.7',
  id: 'oXu034-Kl5Et2U0vsexKDsFaon0Q',
  timestamp: 1570852796,
  msg: [
    { time: 1570852795, msg: ['hello world'], level: 2 },
    { time: 1570852795, msg: ['get msg list mig 10006'], level: 4 },
  ],
  url: 'pages/chat/chat',
  traceid: 'oXu03410akoNqfsrMMswk6Zwwl1U_1570852656',
  filterMsg: 'NetworkExceed08 ReportTimeTotal',
};

const CANONICAL =
  '{"clientVersion":"7.0.7","filterMsg":"NetworkExceed08 ReportTimeTotal","id":"oXu034-Kl5Et2U0vsexKDsFaon0Q","level":6,' +
  '"libraryVersion":"2.8.3","msg":[{"level":2,"msg":["hello world"],"time":1570852795},{"level":4,"msg":["get msg list mig 10006"],' +
  '"time":1570852795}],"platform":1,"timestamp":1570852796,"traceid":"oXu03410akoNqfsrMMswk6Zwwl1U_1570852656","url":"pages/chat/chat"}';

/** The same value with the keys of every object in reverse order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reversedKeys(v)]),
  );
}

describe('entryFingerprint', () => {
  it('is fixed for the example entry: stored fingerprints must never change silently', () => {
    // A change here means every stored entry would be stored again on its next read: it needs a
    // migration that recomputes log_entries.fingerprint, not a new expected value.
    // Computed outside wxlog: printf '%s' "$CANONICAL" | sha256sum, first 16 bytes.
    expect(canonicalJson(EXAMPLE)).toBe(CANONICAL);
    expect(entryFingerprint(EXAMPLE).toString('hex')).toBe('603f5cb9f8c869fe5d3ac7afc93dcc32');
    expect(entryFingerprint(EXAMPLE)).toHaveLength(16);
  });

  it('is what the store keeps for the example entry as served', () => {
    const store = Store.open(join(tempDir(), 'wxlog.db'));
    savePage(store, 'wx1234567890abcdef', '', [EXAMPLE], 1);
    expect(store.db.prepare('SELECT lower(hex(fingerprint)) AS f FROM log_entries').all()).toEqual([
      { f: '603f5cb9f8c869fe5d3ac7afc93dcc32' },
    ]);
    store.close();
  });

  it('does not depend on key order, at any depth', () => {
    const reordered = reversedKeys(EXAMPLE);
    expect(Object.keys(reordered as object)[0]).toBe('filterMsg');
    expect(entryFingerprint(reordered).equals(entryFingerprint(EXAMPLE))).toBe(true);
  });

  it('changes with any nested value, and with the order of array items', () => {
    const base = entryFingerprint(EXAMPLE);
    const nested = { ...EXAMPLE, msg: [EXAMPLE.msg[0], { ...EXAMPLE.msg[1], msg: ['get msg list mig 10007'] }] };
    const swapped = { ...EXAMPLE, msg: [EXAMPLE.msg[1], EXAMPLE.msg[0]] };
    const typed = { ...EXAMPLE, level: '6' };
    for (const other of [nested, swapped, typed]) expect(entryFingerprint(other).equals(base)).toBe(false);
  });

  it('hashes objects inside message arguments by content too', () => {
    const a = {
      ...EXAMPLE,
      msg: [{ time: 1, level: 2, msg: [{ code: 'E_NET', detail: { 超时: [1.5, null, true] } }] }],
    };
    const b = {
      ...EXAMPLE,
      msg: [{ level: 2, msg: [{ detail: { 超时: [1.5, null, true] }, code: 'E_NET' }], time: 1 }],
    };
    expect(entryFingerprint(a).equals(entryFingerprint(b))).toBe(true);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"e":2,"f":1}]},"b":1}',
    );
  });

  it('drops undefined fields and writes undefined array items as null, as JSON.stringify does', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, 1] })).toBe('{"b":[null,1]}');
    expect(canonicalJson({ b: [undefined, 1] })).toBe(JSON.stringify({ b: [undefined, 1] }));
  });

  it('keeps any Unicode as it is', () => {
    expect(canonicalJson({ 中文: '网络请求失败 🚀' })).toBe('{"中文":"网络请求失败 🚀"}');
  });
});
