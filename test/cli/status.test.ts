import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { cstDayBounds, cstDayOf, recentCstDays } from '../../src/wechat/cst-day.js';
import { APPID, buildFixture, entriesOnDay, OTHER_APPID, type Fixture } from '../store/log-fixture.js';
import { runCli } from './run-cli.js';

let dir: string;
let fixture: Fixture;
let today: string;
let yesterday: string;
let twoDaysAgo: string;

interface RunInserted {
  appid: string;
  startedAt: number;
  finishedAt: number | null;
  exitCode: number | null;
  searchCalls: number;
  entriesNew: number;
  errors: number;
  message: string | null;
}

const runs: RunInserted[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wxlog-status-'));
  const now = Math.floor(Date.now() / 1000);
  fixture = buildFixture(join(dir, 'wxlog.db'), now, { days: 9, perDay: 5 });
  const days = recentCstDays(now, 7);
  [twoDaysAgo, yesterday, today] = days.slice(-3) as [string, string, string];
  const store = Store.open(fixture.path);
  try {
    const root = (appid: string, date: string) => {
      const { begin, end } = cstDayBounds(date);
      return store.windows.dayRoot(appid, '', date, begin, end);
    };
    // Today: one window, complete.
    const t = root(APPID, today);
    const n = entriesOnDay(fixture, today, APPID);
    store.windows.recordCheck(t.id, { status: 'complete', serverTotal: n, storedCount: n, at: now - 120 });
    // Yesterday: split in two, one half complete, the other not; the server reports 5 more than stored.
    const y = root(APPID, yesterday);
    const [first, second] = store.windows.split(
      y.id,
      [y.begintime + 43_199],
      entriesOnDay(fixture, yesterday, APPID) + 5,
      now - 3000,
      'paging stalled',
    );
    store.windows.recordCheck(first!.id, { status: 'complete', serverTotal: 2, storedCount: 2, at: now - 2900 });
    store.windows.recordCheck(second!.id, { status: 'incomplete', serverTotal: 9, storedCount: 4, at: now - 2800 });
    // Two days ago: created, never checked.
    root(APPID, twoDaysAgo);
    // The other app: today complete with its own total.
    const o = root(OTHER_APPID, today);
    const other = entriesOnDay(fixture, today, OTHER_APPID);
    store.windows.recordCheck(o.id, { status: 'complete', serverTotal: other, storedCount: other, at: now - 60 });

    const add = (r: RunInserted) => {
      const id = store.runs.start('run', r.appid, 4242, r.startedAt);
      if (r.finishedAt !== null) {
        store.runs.finishRun(id, r.finishedAt, {
          exitCode: r.exitCode ?? 0,
          searchCalls: r.searchCalls,
          entriesNew: r.entriesNew,
          entriesSeen: r.entriesNew,
          windowsComplete: null,
          windowsIncomplete: null,
          rateLimited: 0,
          unexpectedShape: 0,
          errors: r.errors,
          message: r.message,
        });
      }
      runs.unshift(r);
    };
    add({
      appid: APPID,
      startedAt: now - 7200,
      finishedAt: now - 7200 + 95,
      exitCode: 0,
      searchCalls: 12,
      entriesNew: 340,
      errors: 0,
      message: 'complete: 7 days',
    });
    add({
      appid: APPID,
      startedAt: now - 3600,
      finishedAt: now - 3600 + 30,
      exitCode: 1,
      searchCalls: 45,
      entriesNew: 17,
      errors: 2,
      message: 'incomplete; the next run continues',
    });
    add({
      appid: APPID,
      startedAt: now - 60,
      finishedAt: null,
      exitCode: null,
      searchCalls: 0,
      entriesNew: 0,
      errors: 0,
      message: null,
    });
  } finally {
    store.close();
  }
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface StatusJson {
  days: {
    date: string;
    day: string;
    state: string;
    windowsComplete: number;
    windowsIncomplete: number;
    entriesStored: number;
    serverTotal: number | null;
    lastCheckedAt: number | null;
    lastChecked: string | null;
  }[];
  runs: (RunInserted & { durationSeconds: number | null; started: string })[];
  older: { before: string; entries: number };
}

function cst(unixSeconds: number): string {
  return new Date((unixSeconds + 8 * 3600) * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

async function statusJson(env: Record<string, string>, ...args: string[]): Promise<StatusJson> {
  const result = await runCli(['status', '--json', ...args], { WXLOG_DB: fixture.path, ...env });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as StatusJson;
}

describe('wxlog status', () => {
  it('reports per CST day, newest first, the windows, stored entries and server totals inserted', async () => {
    const status = await statusJson({ WXLOG_APPID: APPID });
    const dates = status.days.map((d) => d.date);
    expect(dates).toHaveLength(7);
    expect(dates).toEqual([...dates].sort().reverse());
    expect(dates[0]).toBe(cstDayOf(Math.floor(Date.now() / 1000)));
    for (const day of status.days) {
      expect({ date: day.date, stored: day.entriesStored }).toEqual({
        date: day.date,
        stored: entriesOnDay(fixture, day.date, APPID),
      });
      expect(day.day).toBe(`${day.date.slice(0, 4)}-${day.date.slice(4, 6)}-${day.date.slice(6)}`);
    }
    const byDate = new Map(status.days.map((d) => [d.date, d]));
    expect(byDate.get(today)).toMatchObject({
      state: 'complete',
      windowsComplete: 1,
      windowsIncomplete: 0,
      serverTotal: entriesOnDay(fixture, today, APPID),
      lastCheckedAt: fixture.now - 120,
      lastChecked: cst(fixture.now - 120),
    });
    expect(byDate.get(yesterday)).toMatchObject({
      state: 'incomplete',
      windowsComplete: 1,
      windowsIncomplete: 1,
      serverTotal: entriesOnDay(fixture, yesterday, APPID) + 5,
      lastCheckedAt: fixture.now - 2800,
    });
    expect(byDate.get(twoDaysAgo)).toMatchObject({
      state: 'incomplete',
      windowsComplete: 0,
      windowsIncomplete: 1,
      serverTotal: null,
      lastCheckedAt: null,
    });
    const untouched = status.days.filter((d) => ![today, yesterday, twoDaysAgo].includes(d.date));
    expect(untouched).toHaveLength(4);
    for (const d of untouched)
      expect(d).toMatchObject({ state: 'not-read', windowsComplete: 0, windowsIncomplete: 0, serverTotal: null });

    const oldest = cstDayBounds(dates.at(-1)!).begin;
    expect(status.older.entries).toBe(
      fixture.entries.filter((e) => e.appid === APPID && e.entry.timestamp < oldest).length,
    );
    expect(status.older.entries).toBeGreaterThan(0);
  });

  it('lists the last runs, newest first, with their outcome', async () => {
    const status = await statusJson({ WXLOG_APPID: APPID });
    expect(status.runs).toHaveLength(runs.length);
    status.runs.forEach((run, i) => {
      const inserted = runs[i]!;
      expect(run).toMatchObject(inserted);
      expect(run.started).toBe(cst(inserted.startedAt));
      expect(run.durationSeconds).toBe(inserted.finishedAt === null ? null : inserted.finishedAt - inserted.startedAt);
    });
    const limited = await statusJson({}, '--runs', '1');
    expect(limited.runs).toEqual(status.runs.slice(0, 1));
  });

  it('adds up every app when WXLOG_APPID is not set, and follows WXLOG_LOOKBACK_DAYS', async () => {
    const status = await statusJson({ WXLOG_LOOKBACK_DAYS: '3' });
    expect(status.days).toHaveLength(3);
    for (const day of status.days) expect(day.entriesStored).toBe(entriesOnDay(fixture, day.date));
    const t = status.days.find((d) => d.date === today);
    expect(t).toMatchObject({
      windowsComplete: 2,
      serverTotal: entriesOnDay(fixture, today, APPID) + entriesOnDay(fixture, today, OTHER_APPID),
      lastCheckedAt: fixture.now - 60,
    });
  });

  it('prints the same figures as a table, in CST whatever TZ says', async () => {
    const [result, china] = await Promise.all([
      runCli(['status'], { WXLOG_DB: fixture.path, WXLOG_APPID: APPID }),
      runCli(['status'], { WXLOG_DB: fixture.path, WXLOG_APPID: APPID, TZ: 'Asia/Shanghai' }),
    ]);
    expect(result.status).toBe(0);
    expect(china.stdout).toBe(result.stdout);
    const rows = result.stdout
      .split('\n')
      .filter((l) => /^\d{4}-\d{2}-\d{2} +\|/.test(l))
      .map((l) => l.split('|').map((c) => c.trim()));
    const days = rows.filter((r) => r.length === 7);
    expect(days).toHaveLength(7);
    for (const [day, state, complete, incomplete, stored, server, checked] of days) {
      const date = day!.replace(/-/g, '');
      expect(Number(stored)).toBe(entriesOnDay(fixture, date, APPID));
      if (date === yesterday) {
        expect([state, complete, incomplete, server, checked]).toEqual([
          'incomplete',
          '1',
          '1',
          String(entriesOnDay(fixture, yesterday, APPID) + 5),
          cst(fixture.now - 2800),
        ]);
      }
    }
    const runRows = result.stdout
      .split('\n')
      .filter((l) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} +\|/.test(l))
      .map((l) => l.split('|').map((c) => c.trim()));
    expect(runRows.map((r) => [r[0], r[3], r[4], r[5], r[6], r[7]])).toEqual(
      runs.map((r) => [
        cst(r.startedAt),
        r.exitCode === null ? '-' : String(r.exitCode),
        String(r.searchCalls),
        String(r.entriesNew),
        String(r.errors),
        r.message ?? '-',
      ]),
    );
    expect(result.stdout).toContain(
      `${fixture.entries.filter((e) => e.appid === APPID && e.entry.timestamp < cstDayBounds(recentCstDays(fixture.now, 7)[0]!).begin).length} older entries`,
    );
  });

  it('exits 2 for a missing database or a bad option', async () => {
    const [missing, option, runsArg] = await Promise.all([
      runCli(['status'], { WXLOG_DB: join(dir, 'none.db') }),
      runCli(['status', '--verbose'], { WXLOG_DB: fixture.path }),
      runCli(['status', '--runs', 'many'], { WXLOG_DB: fixture.path }),
    ]);
    for (const r of [missing, option, runsArg]) {
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^wxlog status: [^\n]+\n$/);
    }
    expect(missing.stderr).toContain(join(dir, 'none.db'));
    expect(option.stderr).toContain('--verbose');
  });
});
