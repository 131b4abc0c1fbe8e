import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { cstDayBounds, cstDayOf } from '../../src/wechat/cst-day.js';
import { logEntrySchema, type JsonValue, type LogEntry } from '../../src/wechat/types.js';
import { NOW, TODAY } from './helpers.js';

const EXAMPLE_TRACEID = 'oXu03410akoNqfsrMMswk6Zwwl1U_1570852656';

let sim: Simulator;
let all: LogEntry[];

beforeAll(async () => {
  sim = await startSimulator({ now: () => NOW, perDay: 300 });
  all = sim.allEntries();
});
afterAll(async () => {
  await sim.close();
});

const share = (predicate: (e: LogEntry) => boolean): number => all.filter(predicate).length / all.length;

function jsonType(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function argsOf(entries: LogEntry[]): JsonValue[] {
  return entries.flatMap((e) => (e.msg ?? []).flatMap((m) => (m.msg ?? []) as JsonValue[]));
}

describe('generated data', () => {
  it('is identical for the same seed and now, and differs for another seed', async () => {
    const again = await startSimulator({ now: () => NOW, perDay: 300 });
    const other = await startSimulator({ now: () => NOW, perDay: 300, seed: 2 });
    try {
      expect(JSON.stringify(again.allEntries())).toBe(JSON.stringify(all));
      expect(JSON.stringify(other.allEntries())).not.toBe(JSON.stringify(all));
    } finally {
      await again.close();
      await other.close();
    }
  });

  it('does not depend on the host time zone', async () => {
    const saved = process.env['TZ'];
    process.env['TZ'] = 'America/Los_Angeles';
    try {
      const shifted = await startSimulator({ now: () => NOW, perDay: 300 });
      expect(shifted.retentionDays()).toEqual(sim.retentionDays());
      expect(JSON.stringify(shifted.allEntries())).toBe(JSON.stringify(all));
      await shifted.close();
    } finally {
      if (saved === undefined) delete process.env['TZ'];
      else process.env['TZ'] = saved;
    }
  });

  it('fills every retention day: past days in full, today up to now', () => {
    const days = sim.retentionDays();
    for (const day of days.slice(0, -1)) expect(sim.countForDay(day)).toBe(300);
    const today = sim.entriesForDay(TODAY);
    expect(today.length).toBe(sim.countForDay(TODAY));
    expect(today.length).toBeGreaterThan(0);
    expect(today.every((e) => e.timestamp <= NOW / 1000)).toBe(true);
    expect(all).toHaveLength(6 * 300 + today.length);
    for (const day of days) {
      const { begin, end } = cstDayBounds(day);
      expect(sim.entriesForDay(day).every((e) => e.timestamp >= begin && e.timestamp <= end)).toBe(true);
    }
    expect(sim.entriesForDay('20240608')).toEqual([]);
    expect(sim.countForDay('20240608')).toBe(0);
  });

  it('has entries on the first and the last second of each day', () => {
    for (const day of sim.retentionDays()) {
      const { begin, end } = cstDayBounds(day);
      const stamps = new Set(sim.entriesForDay(day).map((e) => e.timestamp));
      expect(stamps.has(begin)).toBe(true);
      if (day !== TODAY) expect(stamps.has(end)).toBe(true);
    }
  });

  it("serves the document's example entry once a day, at its time of day (11:59:56 CST)", () => {
    for (const day of sim.retentionDays()) {
      const examples = sim.entriesForDay(day).filter((e) => e.traceid === EXAMPLE_TRACEID);
      const at = cstDayBounds(day).begin + 11 * 3600 + 59 * 60 + 56;
      if (at > NOW / 1000) {
        expect(examples).toEqual([]);
        continue;
      }
      expect(examples).toEqual([
        {
          level: 6,
          platform: 1,
          libraryVersion: '2.8.3',
          clientVersion: '7.0.7',
          id: 'oXu034-Kl5Et2U0vsexKDsFaon0Q',
          timestamp: at,
          msg: [
            { time: at - 1, msg: ['hello world'], level: 2 },
            { time: at - 1, msg: ['get msg list mig 10006'], level: 4 },
          ],
          url: 'pages/chat/chat',
          traceid: EXAMPLE_TRACEID,
          filterMsg: 'NetworkExceed08 ReportTimeTotal',
        },
      ]);
    }
  });

  it('matches the documented entry shape', () => {
    for (const entry of all) {
      expect(logEntrySchema.safeParse(entry).success).toBe(true);
      expect(Object.values(entry)).not.toContain(undefined);
      expect(Object.values(entry)).not.toContain('undefined');
    }
  });

  it('uses realistic OpenIDs, traceids, versions, platforms and page paths', () => {
    // The document's own example (checked below) has a traceid of another user's launch in 2019.
    for (const e of all.filter((entry) => entry.traceid !== EXAMPLE_TRACEID)) {
      expect(e.id).toMatch(/^oXu0[A-Za-z0-9_-]{24}$/);
      const launch = Number(e.traceid?.slice(29));
      expect(e.traceid?.slice(0, 29)).toBe(`${e.id}_`);
      expect(launch).toBeLessThanOrEqual(e.timestamp);
      expect(e.timestamp - launch).toBeLessThan(86_400);
      expect(e.libraryVersion).toMatch(/^\d+\.\d+\.\d+$/);
      if (e.clientVersion !== undefined) expect(e.clientVersion).toMatch(/^\d+\.\d+\.\d+$/);
      expect([1, 2]).toContain(e.platform);
      if (e.url !== undefined) expect(e.url).toMatch(/^(\w+\/)*pages\/\w+\/\w+$/);
    }
    expect(new Set(all.map((e) => e.platform)).size).toBe(2);
    expect(new Set(all.map((e) => e.id)).size).toBeGreaterThan(20);
    // Users come back: some OpenIDs appear on several days.
    const daysById = new Map<string, Set<string>>();
    for (const e of all) {
      const days = daysById.get(e.id ?? '') ?? new Set<string>();
      days.add(cstDayOf(e.timestamp));
      daysById.set(e.id ?? '', days);
    }
    expect([...daysById.values()].some((d) => d.size > 1)).toBe(true);
  });

  it('sets level to the OR of its messages, mostly info', () => {
    for (const e of all) {
      const levels = (e.msg ?? []).map((m) => m.level ?? 0);
      expect(levels.every((l) => [2, 4, 8].includes(l))).toBe(true);
      expect(e.level).toBe(levels.reduce((a, b) => a | b, 0));
    }
    expect(share((e) => e.level === 2)).toBeGreaterThan(0.5);
    expect(share((e) => ((e.level ?? 0) & 4) !== 0)).toBeGreaterThan(0.05);
    expect(share((e) => ((e.level ?? 0) & 8) !== 0)).toBeGreaterThan(0.02);
    expect(new Set(all.map((e) => e.level)).size).toBeGreaterThan(4);
  });

  it('has 1 to 6 messages per entry, timed within seconds of the entry', () => {
    const counts = new Set<number>();
    for (const e of all) {
      const msg = e.msg ?? [];
      counts.add(msg.length);
      for (const m of msg) {
        expect(Number.isInteger(m.time)).toBe(true);
        expect(Math.abs((m.time ?? 0) - e.timestamp)).toBeLessThanOrEqual(30);
      }
    }
    expect([...counts].sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('has message arguments of every JSON type, Chinese and emoji included', () => {
    const args = argsOf(all);
    expect(new Set(args.map(jsonType))).toEqual(new Set(['string', 'number', 'boolean', 'null', 'object', 'array']));
    const strings = args.filter((a): a is string => typeof a === 'string');
    expect(strings.some((s) => s.includes('网络请求失败'))).toBe(true);
    expect(strings.some((s) => /\p{Extended_Pictographic}/u.test(s))).toBe(true);
    expect(strings.some((s) => s.includes('\n') && s.includes('"'))).toBe(true);
    expect(args.some((a) => typeof a === 'number' && !Number.isInteger(a))).toBe(true);
  });

  it('has some entries near 5 KB and none above', () => {
    const sizes = all.map((e) => Buffer.byteLength(JSON.stringify(e)));
    expect(sizes.filter((s) => s >= 4500).length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(5120);
  });

  it('leaves optional fields out sometimes', () => {
    expect(share((e) => e.filterMsg === undefined)).toBeGreaterThan(0.5);
    expect(share((e) => e.filterMsg !== undefined)).toBeGreaterThan(0.1);
    expect(share((e) => e.clientVersion === undefined)).toBeGreaterThan(0.01);
    expect(share((e) => e.url === undefined)).toBeGreaterThan(0.01);
    expect(share((e) => e.url === undefined)).toBeLessThan(0.2);
  });

  it('has a few different entries sharing traceid and timestamp', () => {
    const groups = new Map<string, LogEntry[]>();
    for (const e of all) {
      const key = `${e.traceid} ${e.timestamp}`;
      groups.set(key, [...(groups.get(key) ?? []), e]);
    }
    const shared = [...groups.values()].filter((g) => g.length > 1);
    expect(shared.length).toBeGreaterThanOrEqual(7); // at least one a day
    for (const group of shared) {
      expect(new Set(group.map((e) => JSON.stringify(e))).size).toBe(group.length);
    }
    // Entries of one launch (traceid) usually span several timestamps.
    const byTrace = new Map<string, Set<number>>();
    for (const e of all) byTrace.set(e.traceid ?? '', (byTrace.get(e.traceid ?? '') ?? new Set()).add(e.timestamp));
    expect([...byTrace.values()].some((s) => s.size >= 3)).toBe(true);
  });

  it('never repeats an entry exactly', () => {
    expect(new Set(all.map((e) => JSON.stringify(e))).size).toBe(all.length);
  });
});
