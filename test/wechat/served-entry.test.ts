import { describe, expect, it } from 'vitest';
import { documentExample } from '../../src/simulator/document-example.js';
import { AS_SERVED_KEY, readSearchData, readServedEntry } from '../../src/wechat/served-entry.js';

// The document's own example entry (its 返回示例), as the simulator serves it at the document's time.
const documented = documentExample(1570852796);

describe('readServedEntry', () => {
  it('reads the documented shape into its columns, with nothing unexpected and no extra', () => {
    const e = readServedEntry(documented);
    expect(e).toMatchObject({
      timestamp: 1570852796,
      level: 6,
      platform: 1,
      libraryVersion: '2.8.3',
      clientVersion: '7.0.7',
      openid: 'oXu034-Kl5Et2U0vsexKDsFaon0Q',
      url: 'pages/chat/chat',
      traceid: 'oXu03410akoNqfsrMMswk6Zwwl1U_1570852656',
      filterMsg: 'NetworkExceed08 ReportTimeTotal',
      extra: null,
      unexpected: false,
    });
    expect(e.raw).toBe(documented);
    expect(e.messages).toEqual([
      { time: 1570852795, level: 2, args: ['hello world'] },
      { time: 1570852795, level: 4, args: ['get msg list mig 10006'] },
    ]);
  });

  it('keeps a message whose msg is an object or a string as it came, and says the entry was unexpected', () => {
    const e = readServedEntry({
      ...documented,
      msg: [
        { time: 1, level: 2, msg: { 0: 'a', 1: { b: 1 } } },
        { time: 2, level: 8, msg: 'x y' },
      ],
    });
    expect(e.messages.map((m) => m.args)).toEqual([{ 0: 'a', 1: { b: 1 } }, 'x y']);
    expect(e.unexpected).toBe(true);
    expect(e.extra).toBeNull();
  });

  it('takes numbers sent as strings as numbers, and keeps what was served under $asServed', () => {
    const e = readServedEntry({
      ...documented,
      timestamp: '1570852796',
      level: '6',
      msg: [{ time: '1570852795', level: '2', msg: [] }],
    });
    expect(e).toMatchObject({ timestamp: 1570852796, level: 6, unexpected: true });
    expect(e.messages[0]).toEqual({ time: 1570852795, level: 2, args: [] });
    expect(e.extra).toEqual({ [AS_SERVED_KEY]: { timestamp: '1570852796', level: '6' } });
  });

  it('keeps fields the document does not list in extra', () => {
    const e = readServedEntry({ ...documented, network: 'wifi', sdkExtra: { a: 1 } });
    expect(e.extra).toEqual({ network: 'wifi', sdkExtra: { a: 1 } });
    expect(e.unexpected).toBe(true);
  });

  it('has no timestamp for an entry without a usable one, and never throws on odd items', () => {
    const { timestamp: _, ...untimed } = documented;
    expect(readServedEntry(untimed)).toMatchObject({ timestamp: null, unexpected: true });
    expect(readServedEntry({ ...documented, timestamp: 'soon' })).toMatchObject({
      timestamp: null,
      extra: { [AS_SERVED_KEY]: { timestamp: 'soon' } },
    });
    expect(readServedEntry({ ...documented, timestamp: 1.5 })).toMatchObject({ timestamp: null });
    for (const odd of [null, 'text', 42, [1, 2]]) {
      const e = readServedEntry(odd);
      expect(e).toMatchObject({ timestamp: null, unexpected: true, extra: { $entry: odd } });
    }
  });

  it('reads text fields of another type as text, and an entry msg that is not an array as one call', () => {
    const e = readServedEntry({ ...documented, id: 12345, url: { path: 'p' }, msg: 'plain' });
    expect(e).toMatchObject({ openid: '12345', url: '{"path":"p"}', unexpected: true });
    expect(e.messages).toEqual([{ time: null, level: null, args: 'plain' }]);
    expect(e.extra).toEqual({ [AS_SERVED_KEY]: { id: 12345, url: { path: 'p' } } });
  });

  it('treats null and absent optional fields alike: NULL columns, nothing unexpected', () => {
    const e = readServedEntry({ timestamp: 1, msg: [], url: null, traceid: undefined });
    expect(e).toMatchObject({ url: null, traceid: null, level: null, unexpected: false, extra: null });
  });
});

describe('readSearchData', () => {
  it('reads every entry and counts the unexpected ones', () => {
    const page = readSearchData({ list: [documented, { ...documented, extraField: 1 }], total: '2' });
    expect(page).toMatchObject({ total: 2, unexpected: 1 });
    expect(typeof page === 'object' && page.list.length).toBe(2);
  });

  it('refuses only a page that cannot be judged: no data, no list array, no usable total', () => {
    expect(readSearchData(undefined)).toBe('answer has no data object');
    expect(readSearchData({ list: 'x', total: 1 })).toBe('answer has no data.list array');
    expect(readSearchData({ list: [], total: 'many' })).toBe('answer has no usable data.total');
    expect(readSearchData({ list: [], total: -1 })).toBe('answer has no usable data.total');
  });
});
