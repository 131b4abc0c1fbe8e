import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filterKey } from '../../src/config/filter-key.js';
import { Store } from '../../src/store/store.js';
import { cstDayBounds, recentCstDays } from '../../src/wechat/cst-day.js';
import type { LogEntry } from '../../src/wechat/types.js';
import { savePage } from '../helpers/save-page.js';
import { tempDir } from '../helpers/temp-dir.js';
import { runCli } from './run-cli.js';
import { runRecord } from '../helpers/run-record.js';

const OK = 'wxaaaaaaaaaaaaaaaa';
const FAILING = 'wxbbbbbbbbbbbbbbbb';
const INTERRUPTED = 'wxcccccccccccccccc';
const RUNNING = 'wxdddddddddddddddd';
const INCOMPLETE = 'wxeeeeeeeeeeeeeeee';
const LONG_ERROR =
  'errcode 40001: invalid credential, access_token is invalid or not latest, could get access_token by getStableAccessToken\nrid: 6576';

// CST wall time computed here, not by wxlog: UTC plus eight hours.
function cst(unixSeconds: number): string {
  return new Date((unixSeconds + 8 * 3600) * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

function entry(timestamp: number): LogEntry {
  return { timestamp, level: 2, traceid: `t${timestamp}`, msg: [{ time: timestamp, level: 2, msg: ['x'] }] };
}

interface Built {
  path: string;
  now: number;
  started: Record<string, number>;
  stored: Record<string, number>;
}

/**
 * A database of five apps, one in each state, over a lookback of 2 days. The running app's run is this
 * test process's own (alive, on this host), holding the lock as an export would.
 */
function fiveApps(): Built {
  const path = join(tempDir(), 'wxlog.db');
  const now = Math.floor(Date.now() / 1000);
  const days = recentCstDays(now, 2);
  const store = Store.open(path);
  const started: Record<string, number> = {};
  const stored: Record<string, number> = {};
  const run = (appid: string, at: number, exitCode: number | null, message: string | null = null, worker = 'w:1') => {
    const id = store.runs.start('daemon', appid, 1, at, worker);
    store.apps.seen(appid, at);
    if (exitCode !== null) {
      store.runs.finishRun(id, at + 20, runRecord(exitCode, message));
      store.apps.finished(appid, at, exitCode, message);
    }
    started[appid] = at;
  };
  const complete = (appid: string, perDay: number) => {
    for (const date of days) {
      const { begin, end } = cstDayBounds(date);
      const timestamps = Array.from({ length: perDay }, (_, i) => Math.min(begin + 60 * (i + 1), now - 1));
      savePage(store, appid, '', timestamps.map(entry), now);
      const root = store.windows.dayRoot(appid, '', date, begin, end);
      store.windows.recordCheck(root.id, {
        status: 'complete',
        serverTotal: perDay,
        storedCount: perDay,
        at: now - 30,
      });
    }
    stored[appid] = perDay * days.length;
  };
  complete(OK, 3);
  run(OK, now - 900, 0);
  complete(FAILING, 1);
  run(FAILING, now - 4000, 0);
  run(FAILING, now - 600, 3, LONG_ERROR);
  stored[INTERRUPTED] = 0;
  run(INTERRUPTED, now - 300, null, null, 'gone-host:77');
  stored[RUNNING] = 0;
  run(RUNNING, now - 120, null, null, `${hostname()}:${process.pid}`);
  store.db
    .prepare('INSERT INTO run_lock (id, pid, hostname, command, acquired_at, heartbeat_at) VALUES (1, ?, ?, ?, ?, ?)')
    .run(process.pid, hostname(), 'daemon', now - 121, now - 5);
  complete(INCOMPLETE, 2);
  run(INCOMPLETE, now - 60, 1, 'quota');
  store.close();
  return { path, now, started, stored };
}

function tableRows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .filter((l) => /^wx[0-9a-f]{16} +\|/.test(l))
    .map((l) => l.split('|').map((c) => c.trim()));
}

describe('wxlog status of a database of many apps (subprocess)', () => {
  it('prints one line per app, trouble first, with days complete, entries, last run in CST and last error', async () => {
    const db = fiveApps();
    const env = { WXLOG_DB: db.path, WXLOG_LOOKBACK_DAYS: '2' };
    // Times are CST whatever the process's time zone.
    const [far, china] = await Promise.all([
      runCli(['status'], { ...env, TZ: 'America/Los_Angeles' }),
      runCli(['status'], { ...env, TZ: 'Asia/Shanghai' }),
    ]);
    for (const result of [far, china]) {
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout.split('\n')[0]).toBe(
        `5 apps in ${db.path}, trouble first; days complete of the last 2 CST days:`,
      );
      const rows = tableRows(result.stdout);
      expect(rows.map((r) => r.slice(0, 5))).toEqual([
        [FAILING, 'failing', '2/2', '2', cst(db.started[FAILING]!)],
        [INTERRUPTED, 'interrupted', '0/2', '0', cst(db.started[INTERRUPTED]!)],
        [INCOMPLETE, 'incomplete', '2/2', '4', cst(db.started[INCOMPLETE]!)],
        [RUNNING, 'running', '0/2', '0', cst(db.started[RUNNING]!)],
        [OK, 'ok', '2/2', '6', cst(db.started[OK]!)],
      ]);
      // The last error: one line, cut short.
      const error = rows[0]![5]!;
      expect(error).toMatch(/^errcode 40001: invalid credential, .*…$/);
      expect(error.length).toBeLessThanOrEqual(60);
      expect(rows.map((r) => r[5])).toEqual([error, '-', 'quota', '-', '-']);
      expect(result.stdout).toContain('1 failing, 1 interrupted, 1 incomplete, 1 running, 1 ok.');
    }
    expect(china.stdout).toBe(far.stdout);
  });

  it('prints the day table of one app with --app, or WXLOG_APPID, with its runs only', async () => {
    const db = fiveApps();
    const env = { WXLOG_DB: db.path, WXLOG_LOOKBACK_DAYS: '2' };
    const [byOption, byEnv] = await Promise.all([
      runCli(['status', '--app', FAILING], env),
      runCli(['status'], { ...env, WXLOG_APPID: FAILING }),
    ]);
    expect(byOption.status).toBe(0);
    expect(byOption.stdout).toBe(byEnv.stdout);
    expect(byOption.stdout.split('\n')[0]).toBe(`Coverage of ${FAILING} (${db.path}), CST days newest first:`);
    const days = byOption.stdout.split('\n').filter((l) => /^\d{4}-\d{2}-\d{2} +\|/.test(l));
    expect(days.map((l) => l.split('|')[1]?.trim())).toEqual(['complete', 'complete']);
    const runs = byOption.stdout
      .split('\n')
      .filter((l) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} +\|/.test(l))
      .map((l) => l.split('|').map((c) => c.trim()));
    expect(runs.map((r) => [r[0], r[3]])).toEqual([
      [cst(db.started[FAILING]!), '3'],
      [cst(db.now - 4000), '0'],
    ]);
  });

  it("shows a killed app's unfinished run as interrupted, a live one as running, in its day table", async () => {
    const db = fiveApps();
    const env = { WXLOG_DB: db.path, WXLOG_LOOKBACK_DAYS: '2' };
    const [killed, live] = await Promise.all([
      runCli(['status', '--app', INTERRUPTED], env),
      runCli(['status', '--app', RUNNING], env),
    ]);
    const duration = (stdout: string) =>
      stdout
        .split('\n')
        .filter((l) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} +\|/.test(l))
        .map((l) => l.split('|')[2]?.trim());
    expect(duration(killed.stdout)).toEqual(['interrupted']);
    expect(duration(live.stdout)).toEqual(['running']);
  });

  it('covers every app in --json: each with its state, last run, last error and days', async () => {
    const db = fiveApps();
    const result = await runCli(['status', '--json'], { WXLOG_DB: db.path, WXLOG_LOOKBACK_DAYS: '2' });
    expect(result.status).toBe(0);
    const status = JSON.parse(result.stdout) as {
      days: { date: string; entriesStored: number }[];
      apps: {
        appid: string;
        state: string;
        daysComplete: number;
        entriesStored: number;
        lastError: string | null;
        lastRun: { startedAt: number; started: string; state: string; worker: string } | null;
        days: { date: string; state: string; entriesStored: number; day: string }[];
      }[];
    };
    expect(status.apps.map((a) => [a.appid, a.state, a.daysComplete, a.entriesStored])).toEqual([
      [FAILING, 'failing', 2, db.stored[FAILING]],
      [INTERRUPTED, 'interrupted', 0, db.stored[INTERRUPTED]],
      [INCOMPLETE, 'incomplete', 2, db.stored[INCOMPLETE]],
      [RUNNING, 'running', 0, db.stored[RUNNING]],
      [OK, 'ok', 2, db.stored[OK]],
    ]);
    const failing = status.apps[0]!;
    expect(failing.lastError).toBe(LONG_ERROR);
    expect(failing.lastRun).toMatchObject({ startedAt: db.started[FAILING], started: cst(db.started[FAILING]!) });
    expect(status.apps[1]!.lastRun).toMatchObject({ state: 'interrupted', worker: 'gone-host:77' });
    const dates = recentCstDays(db.now, 2).reverse();
    for (const app of status.apps) expect(app.days.map((d) => d.date)).toEqual(dates);
    // The top-level days add up every app, as before.
    expect(status.days.map((d) => d.entriesStored)).toEqual(
      dates.map((date) =>
        status.apps.reduce((sum, a) => sum + (a.days.find((d) => d.date === date)?.entriesStored ?? 0), 0),
      ),
    );
  });

  it('refuses an app the file does not hold, in one line naming the apps it holds, exit 2', async () => {
    const db = fiveApps();
    const stranger = 'wx0123456789abcdef';
    const [env, option] = await Promise.all([
      runCli(['status'], { WXLOG_DB: db.path, WXLOG_APPID: stranger }),
      runCli(['status', '--json', '--app', stranger], { WXLOG_DB: db.path }),
    ]);
    const holds = `${db.path} does not hold ${stranger}; it holds 5 apps: ${[OK, FAILING, INTERRUPTED, RUNNING, INCOMPLETE].join(', ')}`;
    expect(env).toEqual({ status: 2, stdout: '', stderr: `wxlog status: WXLOG_APPID: ${holds}\n` });
    expect(option).toEqual({ status: 2, stdout: '', stderr: `wxlog status: --app: ${holds}\n` });
  });

  it('names the first five of many apps and how many more', async () => {
    const path = join(tempDir(), 'wxlog.db');
    const store = Store.open(path);
    const apps = Array.from({ length: 8 }, (_, i) => `wx${String(i).padStart(16, '0')}`);
    for (const appid of apps) store.apps.seen(appid, 1_000);
    store.close();
    const result = await runCli(['status'], { WXLOG_DB: path, WXLOG_APPID: 'wxffffffffffffffff' });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `wxlog status: WXLOG_APPID: ${path} does not hold wxffffffffffffffff; it holds 8 apps: ${apps.slice(0, 5).join(', ')} and 3 more\n`,
    );
  });

  it('keeps the day table for a database of one app', async () => {
    const path = join(tempDir(), 'wxlog.db');
    const store = Store.open(path);
    const now = Math.floor(Date.now() / 1000);
    savePage(store, OK, '', [entry(now - 100)], now);
    store.close();
    const result = await runCli(['status'], { WXLOG_DB: path });
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe(`Coverage of every app in the file (${path}), CST days newest first:`);
    expect(result.stdout).toContain('No runs yet.');
  });

  it('prints 1,000 apps quickly', async () => {
    const path = join(tempDir(), 'wxlog.db');
    const store = Store.open(path);
    const now = Math.floor(Date.now() / 1000);
    const days = recentCstDays(now, 7);
    const apps = Array.from({ length: 1000 }, (_, i) => `wx${String(i).padStart(16, '0')}`);
    store.db.transaction(() => {
      apps.forEach((appid, i) => {
        // A few entries a day; every tenth app has yesterday incomplete, so its entries are counted.
        savePage(
          store,
          appid,
          '',
          days.map((d) => entry(Math.min(cstDayBounds(d).begin + i, now - 1))),
          now,
        );
        for (const date of days) {
          const { begin, end } = cstDayBounds(date);
          const root = store.windows.dayRoot(appid, '', date, begin, end);
          const done = i % 10 !== 0 || date !== days.at(-2);
          store.windows.recordCheck(root.id, {
            status: done ? 'complete' : 'incomplete',
            serverTotal: 1,
            storedCount: done ? 1 : 0,
            at: now - 100,
          });
        }
        // A day of passes every ten minutes.
        for (let k = 144; k >= 1; k--) {
          const id = store.runs.start('daemon', appid, 1, now - k * 600, 'w:1');
          store.runs.finishRun(id, now - k * 600 + 30, runRecord(i % 10 === 0 ? 1 : 0, null));
        }
        store.apps.seen(appid, now - 144 * 600);
      });
    })();
    store.close();

    const startedAt = Date.now();
    const result = await runCli(['status'], { WXLOG_DB: path });
    const tookMs = Date.now() - startedAt;
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const rows = tableRows(result.stdout);
    expect(rows).toHaveLength(1000);
    expect(rows.slice(0, 100).every((r) => r[1] === 'incomplete' && r[2] === '6/7')).toBe(true);
    expect(rows.slice(100).every((r) => r[1] === 'ok' && r[2] === '7/7' && r[3] === '7')).toBe(true);
    expect(result.stdout).toContain('100 incomplete, 900 ok.');
    // Start-up (~200 ms) included; one query per app per day would take seconds.
    expect(tookMs).toBeLessThan(3_000);
  }, 60_000);
});

describe("wxlog status over each app's own lookback and filters (subprocess)", () => {
  const LONG = OK;
  const ERRORS_ONLY = FAILING;
  const PLAIN = INCOMPLETE;
  const LEVEL_8 = filterKey({ level: 8 });

  /** Three apps, each complete over its own lookback and ledger: 4 days; 2 days filtered to errors; 2 days. */
  function ownScopes(): { path: string; appsFile: string } {
    const dir = tempDir();
    const path = join(dir, 'wxlog.db');
    const now = Math.floor(Date.now() / 1000);
    const store = Store.open(path);
    const complete = (appid: string, key: string, lookback: number) => {
      for (const date of recentCstDays(now, lookback)) {
        const { begin, end } = cstDayBounds(date);
        const at = Math.min(begin + 60, now - 1);
        savePage(store, appid, key, [{ ...entry(at), level: 8 }], now);
        const root = store.windows.dayRoot(appid, key, date, begin, end);
        store.windows.recordCheck(root.id, { status: 'complete', serverTotal: 1, storedCount: 1, at: now - 30 });
      }
      const id = store.runs.start('run', appid, 1, now - 100, 'w:1');
      store.runs.finishRun(id, now - 90, runRecord(0, null));
      store.apps.finished(appid, now - 100, 0, null);
    };
    complete(LONG, '', 4);
    complete(ERRORS_ONLY, LEVEL_8, 2);
    complete(PLAIN, '', 2);
    store.close();
    const appsFile = join(dir, 'apps.json');
    writeFileSync(
      appsFile,
      JSON.stringify([
        { appid: LONG, lookbackDays: 4 },
        { appid: ERRORS_ONLY, filters: { level: 8 } },
      ]),
    );
    return { path, appsFile };
  }

  it('reads an app the apps file lists over its own lookbackDays and filters, any other over the top-level ones', async () => {
    const { path, appsFile } = ownScopes();
    const env = { WXLOG_DB: path, WXLOG_LOOKBACK_DAYS: '2' };
    const [own, top] = await Promise.all([
      runCli(['status'], { ...env, WXLOG_APPS_FILE: appsFile }),
      runCli(['status'], env),
    ]);
    expect(own.stderr).toBe('');
    expect(own.stdout.split('\n')[0]).toBe(
      `3 apps in ${path}, each over its own filters, trouble first; days complete of each app's lookback:`,
    );
    expect(tableRows(own.stdout).map((r) => r.slice(0, 4))).toEqual([
      [LONG, 'ok', '4/4', '4'],
      [ERRORS_ONLY, 'ok', '2/2', '2'],
      [PLAIN, 'ok', '2/2', '2'],
    ]);
    // Over the top-level settings: the last 2 days of the long one; the other's entries, but no unfiltered ledger.
    expect(top.stdout.split('\n')[0]).toBe(`3 apps in ${path}, trouble first; days complete of the last 2 CST days:`);
    expect(tableRows(top.stdout).map((r) => r.slice(0, 4))).toEqual([
      [ERRORS_ONLY, 'incomplete', '0/2', '2'],
      [LONG, 'ok', '2/2', '2'],
      [PLAIN, 'ok', '2/2', '2'],
    ]);
  });

  it("prints one app's day table over its own lookback and ledger, with --app or in --json", async () => {
    const { path, appsFile } = ownScopes();
    const env = { WXLOG_DB: path, WXLOG_LOOKBACK_DAYS: '2', WXLOG_APPS_FILE: appsFile };
    const [long, errors, json] = await Promise.all([
      runCli(['status', '--app', LONG], env),
      runCli(['status', '--app', ERRORS_ONLY], env),
      runCli(['status', '--json'], env),
    ]);
    const dayStates = (stdout: string) =>
      stdout
        .split('\n')
        .filter((l) => /^\d{4}-\d{2}-\d{2} +\|/.test(l))
        .map((l) => l.split('|')[1]?.trim());
    expect(dayStates(long.stdout)).toEqual(['complete', 'complete', 'complete', 'complete']);
    expect(errors.stdout.split('\n')[0]).toBe(
      `Coverage of ${ERRORS_ONLY}, filtered export ${LEVEL_8} (${path}), CST days newest first:`,
    );
    expect(dayStates(errors.stdout)).toEqual(['complete', 'complete']);
    const apps = (JSON.parse(json.stdout) as { apps: { appid: string; state: string; days: unknown[] }[] }).apps;
    expect(apps.map((a) => [a.appid, a.state, a.days.length])).toEqual([
      [LONG, 'ok', 4],
      [ERRORS_ONLY, 'ok', 2],
      [PLAIN, 'ok', 2],
    ]);
  });

  it('says on stderr that an apps file it cannot read leaves every app over the top-level settings', async () => {
    const { path } = ownScopes();
    const missing = join(tempDir(), 'no-such-apps.json');
    const result = await runCli(['status'], { WXLOG_DB: path, WXLOG_LOOKBACK_DAYS: '2', WXLOG_APPS_FILE: missing });
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(
      new RegExp(
        `^wxlog status: warning: .*${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*; its apps are taken to have the top-level settings\n$`,
      ),
    );
    expect(tableRows(result.stdout).map((r) => r[2])).toEqual(['0/2', '2/2', '2/2']);
  });
});
