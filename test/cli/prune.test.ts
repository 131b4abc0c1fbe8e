import { existsSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { cstDayBounds, cstDayOf } from '../../src/wechat/cst-day.js';
import { buildFixture, type Fixture } from '../store/log-fixture.js';
import { tempDir } from '../helpers/temp-dir.js';
import { runCli } from './run-cli.js';

const DAY = 86_400;

// The CST date (YYYY-MM-DD) of an instant, and the unix second of a CST date's midnight, computed here.
function cstDate(unixSeconds: number): string {
  return new Date((unixSeconds + 8 * 3600) * 1000).toISOString().slice(0, 10);
}

function cstMidnight(date: string): number {
  return Date.parse(`${date}T00:00:00+08:00`) / 1000;
}

/** A fixture of 12 days with a complete ledger window per day and bulky entries in the older days. */
function prepare(): Fixture {
  const now = Math.floor(Date.now() / 1000);
  const fixture = buildFixture(join(tempDir(), 'wxlog.db'), now, { days: 12, perDay: 6, padOlderThanDays: 8 });
  const store = Store.open(fixture.path);
  try {
    const dates = new Set(fixture.entries.map((e) => `${e.appid} ${cstDayOf(e.entry.timestamp)}`));
    for (const key of dates) {
      const [appid, date] = key.split(' ') as [string, string];
      const { begin, end } = cstDayBounds(date);
      const root = store.windows.dayRoot(appid, '', date, begin, end);
      // Some days were split: their children must go with them.
      if (Number(date) % 2 === 0) store.windows.split(root.id, [begin + 3600], 6, now, 'test');
      else store.windows.recordCheck(root.id, { status: 'complete', serverTotal: 6, storedCount: 6, at: now });
    }
  } finally {
    store.close();
  }
  return fixture;
}

interface Snapshot {
  entryIds: number[];
  entryTimestamps: Map<number, number>;
  messages: number;
  windowsDates: string[];
}

function snapshot(path: string): Snapshot {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    const entries = db.prepare('SELECT id, timestamp FROM log_entries ORDER BY id').all() as {
      id: number;
      timestamp: number;
    }[];
    return {
      entryIds: entries.map((e) => e.id),
      entryTimestamps: new Map(entries.map((e) => [e.id, e.timestamp])),
      messages: (db.prepare('SELECT count(*) AS n FROM log_messages').get() as { n: number }).n,
      windowsDates: (db.prepare('SELECT date FROM windows ORDER BY id').all() as { date: string }[]).map((w) => w.date),
    };
  } finally {
    db.close();
  }
}

function diskBytes(path: string): number {
  return statSync(path).size + (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);
}

const REPORT =
  /removed (\d+) entries, (\d+) messages, (\d+) coverage windows logged before (\S+) 00:00:00 CST; the file went from .* \((\d+) → (\d+) bytes\)/;

describe('wxlog prune', () => {
  it('deletes entries before the CST midnight DAYS days ago with their messages, index rows and windows', async () => {
    const fixture = prepare();
    const before = snapshot(fixture.path);
    const cutDate = cstDate(fixture.now - 8 * DAY);
    const cut = cstMidnight(cutDate);
    const keptIds = before.entryIds.filter((id) => before.entryTimestamps.get(id)! >= cut);
    const goneIds = before.entryIds.filter((id) => before.entryTimestamps.get(id)! < cut);
    expect(goneIds.length).toBeGreaterThan(0);
    expect(keptIds.length).toBeGreaterThan(0);
    const keptMessages = fixture.messages.filter((m) => m.entryTimestamp >= cut);
    const keptWindows = before.windowsDates.filter((d) => d >= cutDate.replace(/-/g, ''));
    const bytesBefore = diskBytes(fixture.path);

    const result = await runCli(['prune', '--older-than', '8'], { WXLOG_DB: fixture.path });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);

    const after = snapshot(fixture.path);
    expect(after.entryIds).toEqual(keptIds);
    expect(after.messages).toBe(keptMessages.length);
    expect(after.windowsDates).toEqual(keptWindows);
    const report = REPORT.exec(result.stdout);
    expect(report).not.toBeNull();
    const [, entries, messages, windows, date, reportedBefore, reportedAfter] = report!;
    expect([Number(entries), Number(messages), Number(windows), date]).toEqual([
      goneIds.length,
      fixture.messages.length - keptMessages.length,
      before.windowsDates.length - keptWindows.length,
      cutDate,
    ]);
    // Space came back: VACUUM and the checkpoint shrank the file, as reported.
    expect(Number(reportedBefore)).toBe(bytesBefore);
    expect(Number(reportedAfter)).toBe(diskBytes(fixture.path));
    expect(Number(reportedAfter)).toBeLessThan(bytesBefore * 0.7);

    const db = new BetterSqlite3(fixture.path);
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
      // FTS5's own check that the index matches log_messages exactly (rank 1: compare with the content table).
      expect(() =>
        db.prepare("INSERT INTO log_messages_fts (log_messages_fts, rank) VALUES ('integrity-check', 1)").run(),
      ).not.toThrow();
      const found = db
        .prepare(`SELECT count(*) AS n FROM log_messages_fts WHERE log_messages_fts MATCH '"请求失败"'`)
        .get() as { n: number };
      expect(found.n).toBe(keptMessages.filter((m) => m.args.includes('网络请求失败')).length);
      const orphans = db
        .prepare('SELECT count(*) AS n FROM log_messages WHERE entry_id NOT IN (SELECT id FROM log_entries)')
        .get() as { n: number };
      expect(orphans.n).toBe(0);
    } finally {
      db.close();
    }
  });

  it('counts without deleting on --dry-run, the same counts a real prune then reports', async () => {
    const fixture = prepare();
    const before = snapshot(fixture.path);
    const dry = await runCli(['prune', '--older-than', '9', '--dry-run'], { WXLOG_DB: fixture.path });
    expect(dry.status).toBe(0);
    expect(snapshot(fixture.path)).toEqual(before);
    const wet = await runCli(['prune', '--older-than', '9'], { WXLOG_DB: fixture.path });
    const counts = (text: string) => /(\d+) entries, (\d+) messages, (\d+) coverage windows/.exec(text)?.slice(1);
    expect(counts(dry.stdout)).toBeDefined();
    expect(counts(dry.stdout)).toEqual(counts(wet.stdout));
    expect(snapshot(fixture.path).entryIds.length).toBe(before.entryIds.length - Number(counts(wet.stdout)![0]));
  });

  it('warns on stderr when DAYS reaches inside the configured lookback, naming WXLOG_LOOKBACK_DAYS', async () => {
    const fixture = prepare();
    const days = (back: number) => cstDate(fixture.now - back * DAY);
    const inside = await runCli(['prune', '--older-than', '3'], { WXLOG_DB: fixture.path });
    expect(inside.status).toBe(0);
    expect(inside.stderr).toBe(
      `wxlog prune: warning: ${days(6)} to ${days(4)} are inside the lookback (WXLOG_LOOKBACK_DAYS, now 7): the next run ` +
        'downloads them again while WeChat still serves them; use --older-than 7 or more to keep them\n',
    );
    // The lookback, not a fixed 7 days: 14 days reach past --older-than 8, 2 days do not reach --older-than 3.
    const longer = await runCli(['prune', '--older-than', '8', '--dry-run'], {
      WXLOG_DB: fixture.path,
      WXLOG_LOOKBACK_DAYS: '14',
    });
    expect(longer.status).toBe(0);
    expect(longer.stderr).toBe(
      `wxlog prune: warning: ${days(13)} to ${days(9)} would be pruned but are inside the lookback (WXLOG_LOOKBACK_DAYS, now 14): ` +
        'the next run downloads them again while WeChat still serves them; use --older-than 14 or more to keep them\n',
    );
    const shorter = await runCli(['prune', '--older-than', '2'], { WXLOG_DB: fixture.path, WXLOG_LOOKBACK_DAYS: '2' });
    expect(shorter.status).toBe(0);
    expect(shorter.stderr).toBe('');
  });

  it("warns over an app's own lookbackDays when it reaches further back than WXLOG_LOOKBACK_DAYS", async () => {
    const fixture = prepare();
    const days = (back: number) => cstDate(fixture.now - back * DAY);
    const appsFile = join(tempDir(), 'apps.json');
    writeFileSync(
      appsFile,
      JSON.stringify([
        { appid: 'wx1111111111111111', lookbackDays: 20 },
        { appid: 'wx2222222222222222', lookbackDays: 3 },
      ]),
    );
    const env = { WXLOG_DB: fixture.path, WXLOG_APPS_FILE: appsFile };
    const dry = await runCli(['prune', '--older-than', '10', '--dry-run'], env);
    expect(dry.status).toBe(0);
    expect(dry.stderr).toBe(
      `wxlog prune: warning: ${days(19)} to ${days(11)} would be pruned but are inside the lookback (the lookbackDays of ` +
        'wx1111111111111111, 20): the next run downloads them again while WeChat still serves them; use --older-than 20 or ' +
        'more to keep them\n',
    );
    expect((await runCli(['prune', '--older-than', '20', '--dry-run'], env)).stderr).toBe('');
    // An apps file that cannot be read: said, and the top-level lookback is the one warned of.
    const missing = join(tempDir(), 'none.json');
    const unread = await runCli(['prune', '--older-than', '3', '--dry-run'], { ...env, WXLOG_APPS_FILE: missing });
    expect(unread.status).toBe(0);
    expect(unread.stderr.split('\n')[0]).toMatch(
      /^wxlog prune: warning: .*none\.json.*; its apps are taken to have the top-level settings$/,
    );
    expect(unread.stderr.split('\n')[1]).toContain('inside the lookback (WXLOG_LOOKBACK_DAYS, now 7)');
  });

  it('refuses DAYS that is not a whole number of at least 1, changing nothing', async () => {
    const fixture = prepare();
    const before = snapshot(fixture.path);
    const results = await Promise.all(
      [['0'], ['-1'], ['1.5'], ['abc'], ['']].map((days) =>
        runCli(['prune', '--older-than', ...days], { WXLOG_DB: fixture.path }),
      ),
    );
    results.push(await runCli(['prune'], { WXLOG_DB: fixture.path }));
    for (const r of results) {
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^wxlog prune: [^\n]*--older-than[^\n]*\n$/);
    }
    expect(snapshot(fixture.path)).toEqual(before);
  });

  it('exits 4 and changes nothing while another run holds the database lock', async () => {
    const fixture = prepare();
    const db = new BetterSqlite3(fixture.path);
    // This test process is alive on this host: its lock is not stale.
    db.prepare(
      'INSERT INTO run_lock (id, pid, hostname, command, acquired_at, heartbeat_at) VALUES (1, ?, ?, ?, ?, ?)',
    ).run(process.pid, hostname(), 'daemon', fixture.now, fixture.now);
    db.close();
    const before = snapshot(fixture.path);
    const result = await runCli(['prune', '--older-than', '2'], { WXLOG_DB: fixture.path });
    expect(result.status).toBe(4);
    expect(result.stderr).toContain(`pid ${process.pid}`);
    expect(snapshot(fixture.path)).toEqual(before);
  });

  it('exits 2 naming the path when the database does not exist, and does not create it', async () => {
    const missing = join(tempDir(), 'missing.db');
    const result = await runCli(['prune', '--older-than', '30'], { WXLOG_DB: missing });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(missing);
    expect(existsSync(missing)).toBe(false);
  });
});
