import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type ShapeDriftOptions, type Simulator } from '../../src/simulator/simulator.js';
import { cstDayBounds } from '../../src/wechat/cst-day.js';
import type { JsonValue, LogEntry } from '../../src/wechat/types.js';
import { NOW, YESTERDAY, pageAll, search, stableToken, wholeDay } from './helpers.js';

// Shape drift (SPEC §1): the same entries as without drift, in the same order, serialized otherwise.

const day = YESTERDAY;
type Loose = Record<string, unknown>;
const loose = (entries: LogEntry[]): Loose[] => entries;
const messagesOf = (entry: Loose): Loose[] => entry['msg'] as Loose[];

let plain: Simulator;
let plainEntries: LogEntry[];
let own: Simulator[] = [];

beforeAll(async () => {
  plain = await startSimulator({ now: () => NOW, perDay: 300, callsPerMinute: 100_000 });
  plainEntries = plain.entriesForDay(day);
});
afterAll(async () => {
  await plain.close();
});
afterEach(async () => {
  await Promise.all(own.map((s) => s.close()));
  own = [];
});

async function drifting(shapeDrift: ShapeDriftOptions): Promise<{ s: Simulator; t: string; entries: Loose[] }> {
  const s = await startSimulator({ now: () => NOW, perDay: 300, callsPerMinute: 100_000, shapeDrift });
  own.push(s);
  return { s, t: await stableToken(s), entries: loose(s.entriesForDay(day)) };
}

function argsOf(message: Loose): JsonValue[] {
  return message['msg'] as JsonValue[];
}

describe('shape drift', () => {
  it('is off by default: msg arrays and numbers as the document gives them', () => {
    const documented = [
      'level',
      'platform',
      'libraryVersion',
      'clientVersion',
      'id',
      'timestamp',
      'msg',
      'url',
      'traceid',
      'filterMsg',
    ];
    for (const entry of loose(plainEntries)) {
      expect(typeof entry['timestamp']).toBe('number');
      expect(Object.keys(entry).filter((k) => !documented.includes(k))).toEqual([]);
      for (const m of messagesOf(entry)) expect(Array.isArray(m['msg'])).toBe(true);
    }
  });

  it('objectMsg: every message of a drifted entry has msg {"0": arg0, "1": arg1, …}', async () => {
    const { entries } = await drifting({ objectMsg: 1 });
    entries.forEach((entry, i) => {
      const original = loose(plainEntries)[i] ?? {};
      messagesOf(entry).forEach((m, j) => {
        const args = argsOf(messagesOf(original)[j] ?? {});
        expect(m['msg']).toEqual(Object.fromEntries(args.map((a, k) => [String(k), a])));
        expect(Object.keys(m['msg'] as object)).toEqual(args.map((_, k) => String(k)));
      });
      expect({ ...entry, msg: null }).toEqual({ ...original, msg: null });
    });
  });

  it('stringMsg: msg is the arguments joined by a space, non-strings as JSON', async () => {
    const { entries } = await drifting({ stringMsg: 1 });
    entries.forEach((entry, i) => {
      const original = loose(plainEntries)[i] ?? {};
      messagesOf(entry).forEach((m, j) => {
        const args = argsOf(messagesOf(original)[j] ?? {});
        expect(m['msg']).toBe(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
      });
    });
  });

  it('numericStrings: timestamp, level, platform and message time and level as decimal strings', async () => {
    const { entries } = await drifting({ numericStrings: 1 });
    entries.forEach((entry, i) => {
      const original = loose(plainEntries)[i] ?? {};
      for (const field of ['timestamp', 'level', 'platform']) expect(entry[field]).toBe(String(original[field]));
      messagesOf(entry).forEach((m, j) => {
        const was = messagesOf(original)[j] ?? {};
        expect(m['time']).toBe(String(was['time']));
        expect(m['level']).toBe(String(was['level']));
        expect(m['msg']).toEqual(was['msg']);
      });
    });
  });

  it('unknownFields: network (and sometimes sdkExtra) on the entry, tag on its first message', async () => {
    const { entries } = await drifting({ unknownFields: 1 });
    entries.forEach((entry, i) => {
      const original = loose(plainEntries)[i] ?? {};
      expect(['wifi', '4g', '5g', '3g']).toContain(entry['network']);
      const { network: _n, sdkExtra: _x, ...rest } = entry;
      expect({ ...rest, msg: null }).toEqual({ ...original, msg: null });
      expect(messagesOf(entry)[0]?.['tag']).toBe('x');
    });
    const withExtra = entries.filter((e) => 'sdkExtra' in e).length;
    expect(withExtra).toBeGreaterThan(entries.length * 0.3);
    expect(withExtra).toBeLessThan(entries.length * 0.7);
  });

  it('missingTimestamp: no timestamp field, yet windows and totals follow the real timestamp', async () => {
    const { s, t, entries } = await drifting({ missingTimestamp: 1 });
    expect(entries.every((e) => !('timestamp' in e))).toBe(true);
    const { begin } = cstDayBounds(day);
    const window = { date: day, begintime: begin + 9 * 3600, endtime: begin + 10 * 3600 };
    const expected = plainEntries.filter((e) => e.timestamp >= window.begintime && e.timestamp <= window.endtime);
    expect(expected.length).toBeGreaterThan(3);
    const served = await pageAll(s, t, window, 5);
    expect(served.totals[0]).toBe(expected.length);
    expect(served.list).toEqual(expected.map(({ timestamp: _t, ...rest }) => rest));
  });

  it('drifts the given share of entries, each always in the same shape, whatever the page', async () => {
    const { s, t, entries } = await drifting({
      objectMsg: 0.3,
      stringMsg: 0.3,
      numericStrings: 0.3,
      unknownFields: 0.3,
    });
    const share = (p: (e: Loose) => boolean): number => entries.filter(p).length / entries.length;
    const firstMsg = (e: Loose): unknown => messagesOf(e)[0]?.['msg'];
    expect(share((e) => typeof firstMsg(e) === 'string')).toBeCloseTo(0.3, 1);
    expect(share((e) => !Array.isArray(firstMsg(e)) && typeof firstMsg(e) === 'object')).toBeCloseTo(0.3, 1);
    expect(share((e) => typeof e['timestamp'] === 'string')).toBeCloseTo(0.3, 1);
    expect(share((e) => 'network' in e)).toBeCloseTo(0.3, 1);
    // One shape per entry: all its messages agree.
    for (const e of entries) expect(new Set(messagesOf(e).map((m) => typeof m['msg'])).size).toBe(1);
    const json = JSON.stringify(entries);
    expect(JSON.stringify((await pageAll(s, t, wholeDay(day), 7)).list)).toBe(json);
    expect(JSON.stringify((await pageAll(s, t, wholeDay(day), 1000)).list)).toBe(json);
    expect(JSON.stringify(s.entriesForDay(day))).toBe(json);
  });

  it('filters by the real level, not the served one', async () => {
    const { s, t } = await drifting({ numericStrings: 1, objectMsg: 1 });
    const expected = plainEntries.filter((e) => (e.level ?? 0) >= 8);
    const served = (await pageAll(s, t, { ...wholeDay(day), level: 8 }, 50)).list as unknown as Loose[];
    expect(served.map((e) => Number(e['timestamp']))).toEqual(expected.map((e) => e.timestamp));
    expect(served.every((e) => Number(e['level']) >= 8)).toBe(true);
  });

  it('drifts entries added later too, and addEntries() returns them as served', async () => {
    const { s, t } = await drifting({ stringMsg: 1 });
    const added = s.addEntries(day, 3) as unknown as Loose[];
    expect(added.every((e) => typeof messagesOf(e)[0]?.['msg'] === 'string')).toBe(true);
    const served = JSON.stringify((await search(s, t, { ...wholeDay(day), limit: 1000 })).data?.list);
    for (const e of added) expect(served).toContain(JSON.stringify(e));
  });

  it('gives objectMsg the overlap when objectMsg and stringMsg add up to more than 1', async () => {
    const { entries } = await drifting({ objectMsg: 1, stringMsg: 1 });
    expect(entries.every((e) => typeof messagesOf(e)[0]?.['msg'] === 'object')).toBe(true);
  });

  it.each<[string, unknown]>([
    ['shapeDrift.objectMsg', { objectMsg: 1.5 }],
    ['shapeDrift.missingTimestamp', { missingTimestamp: -0.1 }],
    ['shapeDrift.stringMsg', { stringMsg: '0.5' }],
    ['shapeDrift', { objectMSG: 0.5 }],
    ['shapeDrift', 0.5],
  ])('refuses a bad `%s` with a message naming it', async (name, shapeDrift) => {
    await expect(startSimulator({ shapeDrift: shapeDrift as ShapeDriftOptions })).rejects.toThrow(
      `Expected \`${name}\``,
    );
  });
});
