import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppConfig } from '../../src/config/app-config.js';
import { ExportEvents, type ExportEvent } from '../../src/events/export-events.js';
import { exportPass, type PassOptions } from '../../src/export/export-pass.js';
import { silentLogger } from '../../src/log/logger.js';
import type { Simulator } from '../../src/simulator/simulator.js';
import { cstDayBounds } from '../../src/wechat/cst-day.js';
import { clockFrom, fastClient, MIDDAY_CST, simulator } from '../helpers/export-fixture.js';
import { MIDDAY_CST_DAY } from '../helpers/fixed-now.js';
import { expectExact } from '../helpers/exact.js';
import { tempDir } from '../helpers/temp-dir.js';

const INTERVAL_MS = 1000;
const CALLS = 10;

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function app(appid: string, credentials: Partial<AppConfig>): AppConfig {
  return {
    appid,
    tokenMode: 'stable',
    callsPerMinute: CALLS,
    lookbackDays: 7,
    pageSize: 100,
    filters: {},
    ...credentials,
  };
}

async function stableTokenOf(s: Simulator, appid: string, secret: string): Promise<string> {
  const res = await fetch(`${s.url}/cgi-bin/stable_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credential', appid, secret }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (body.access_token === undefined) throw new Error('the simulator gave no token');
  return body.access_token;
}

function options(s: Simulator, db: string, apps: AppConfig[], extra: Partial<PassOptions> = {}): PassOptions {
  return {
    db,
    apiBase: s.url,
    rateIntervalMs: INTERVAL_MS,
    concurrency: 8,
    apps,
    command: 'run',
    worker: { pid: process.pid, hostname: 'test-host', isAlive: () => true },
    logger: silentLogger,
    now: clockFrom(MIDDAY_CST),
    client: fastClient,
    ...extra,
  };
}

describe("page-stored's day figures", () => {
  it('are read only while a listener wants them, and then are the day as stored', async () => {
    sim = await simulator({ now: clockFrom(MIDDAY_CST), appCount: 2, perDay: 250, callsPerMinute: 50 });
    const apps = sim.apps().map((a) => app(a.appid, { secret: a.secret, lookbackDays: 2 }));
    const db = join(tempDir(), 'wxlog.db');
    const events = new ExportEvents();
    const plain: ExportEvent[] = [];
    const figured: ExportEvent[] = [];
    events.on((e) => plain.push(e));
    let wanted = false;
    events.on((e) => figured.push(e), { dayFigures: () => wanted });
    expect(events.wantsDayFigures).toBe(false);
    // First pass: nobody wants them, and no page-stored event carries them.
    expect((await exportPass(options(sim, db, apps, { events }))).exitCode).toBe(0);
    const pages = plain.filter((e) => e.type === 'page-stored');
    expect(pages.length).toBeGreaterThanOrEqual(apps.length * 2 * 2);
    expect(pages.filter((e) => 'dayStored' in e || 'dayServerTotal' in e)).toEqual([]);
    // Second pass, after new entries: wanted, so every page carries the day as it stands after that page.
    wanted = true;
    expect(events.wantsDayFigures).toBe(true);
    figured.length = 0;
    for (const a of apps) sim.addEntries(MIDDAY_CST_DAY, 120, undefined, a.appid);
    expect((await exportPass(options(sim, db, apps, { events }))).exitCode).toBe(0);
    const withFigures = figured.filter((e) => e.type === 'page-stored');
    expect(withFigures.length).toBeGreaterThan(0);
    const sqlite = new BetterSqlite3(db, { readonly: true });
    try {
      for (const e of withFigures) {
        expect(e.dayStored).toEqual(expect.any(Number));
        expect(e.dayServerTotal).toEqual(expect.any(Number));
      }
      // The last page of each app's day: what the day holds now.
      const last = new Map(withFigures.map((e) => [`${e.appid} ${e.date}`, e]));
      for (const e of last.values()) {
        const { begin, end } = cstDayBounds(e.date);
        const { n } = sqlite
          .prepare<[string, number, number], { n: number }>(
            'SELECT count(*) AS n FROM log_entries WHERE appid = ? AND timestamp BETWEEN ? AND ?',
          )
          .get(e.appid, begin, end)!;
        expect(e.dayStored, `${e.appid} ${e.date}`).toBe(n);
      }
    } finally {
      sqlite.close();
    }
  });
});

describe('a pass over many apps (in process, simulator over loopback)', () => {
  it('exports 50+ apps exactly, each within its own budget; a wrong secret fails that app alone', async () => {
    sim = await simulator({ now: clockFrom(MIDDAY_CST), appCount: 53, perDay: 30, callsPerMinute: 50 });
    const [staticApp, wrong, ...stable] = sim.apps();
    const token = await stableTokenOf(sim, staticApp!.appid, staticApp!.secret);
    const apps = [
      app(staticApp!.appid, { tokenMode: 'static', accessToken: token }),
      app(wrong!.appid, { secret: 'not-the-secret' }),
      ...stable.map((a) => app(a.appid, { secret: a.secret })),
    ];
    const db = join(tempDir(), 'wxlog.db');
    const events = new ExportEvents();
    const seen: ExportEvent[] = [];
    events.on((e) => seen.push(e));

    const outcome = await exportPass(options(sim, db, apps, { events }));

    // One app failed, the others are complete: exit 1, one line for the failed app only.
    expect(outcome.exitCode).toBe(1);
    expect(outcome.failures).toHaveLength(1);
    expect(outcome.failures[0]).toMatch(new RegExp(`^${wrong!.appid}: `));
    expect(outcome.failures[0]).not.toContain('not-the-secret');
    expect(outcome.summary).toMatch(/^incomplete; the next run continues: 53 apps, 1 failed, /);
    for (const a of [staticApp!, ...stable]) expectExact(db, sim, a.appid);
    for (const a of sim.apps()) {
      expect(sim.maxSearchesInAnyInterval(INTERVAL_MS, a.appid)).toBeLessThanOrEqual(CALLS);
    }

    const handle = new BetterSqlite3(db, { readonly: true });
    try {
      const runs = handle.prepare('SELECT appid, worker, exit_code AS exitCode FROM runs ORDER BY appid').all() as {
        appid: string;
        worker: string;
        exitCode: number;
      }[];
      expect(runs).toHaveLength(53);
      expect(new Set(runs.map((r) => r.appid)).size).toBe(53);
      expect(runs.every((r) => r.worker === `test-host:${process.pid}`)).toBe(true);
      expect(runs.find((r) => r.appid === wrong!.appid)?.exitCode).toBe(3);
      const appsRows = handle
        .prepare('SELECT appid, last_exit AS lastExit, last_error AS lastError FROM apps')
        .all() as {
        appid: string;
        lastExit: number;
        lastError: string | null;
      }[];
      expect(appsRows).toHaveLength(53);
      const failed = appsRows.filter((r) => r.lastExit !== 0);
      expect(failed.map((r) => r.appid)).toEqual([wrong!.appid]);
      expect(failed[0]?.lastError).toMatch(/secret|40125/i);
      // No secret or token anywhere the analysts read.
      const text = JSON.stringify(handle.prepare('SELECT * FROM runs').all()) + JSON.stringify(appsRows);
      expect(text).not.toContain(token);
      for (const a of sim.apps()) expect(text).not.toContain(a.secret);
    } finally {
      handle.close();
    }

    // The event stream saw each app start and end once, and the pass end once.
    const done = seen.filter((e) => e.type === 'app-done');
    expect(done).toHaveLength(53);
    expect(seen.filter((e) => e.type === 'app-started')).toHaveLength(53);
    expect(seen.filter((e) => e.type === 'pass-done')).toHaveLength(1);
    const stored = seen.reduce((n, e) => n + (e.type === 'app-done' ? e.entriesNew : 0), 0);
    expect(stored).toBe(outcome.apps.reduce((n, a) => n + (a.result?.entriesNew ?? 0), 0));
  }, 180_000);

  it('exits 3 only when every app failed fatally, and a second pass serves the least recently run apps first', async () => {
    sim = await simulator({ now: clockFrom(MIDDAY_CST), appCount: 3, perDay: 5 });
    const apps = sim.apps().map((a) => app(a.appid, { secret: 'wrong' }));
    const db = join(tempDir(), 'wxlog.db');
    const all = await exportPass(options(sim, db, apps));
    expect(all.exitCode).toBe(3);
    expect(all.failures).toHaveLength(3);
    expect(all.summary).toMatch(/^stopped: every app failed: 3 apps, 3 failed/);

    // One app fixed and run alone; the next pass of all three starts with the two not run since.
    const fixed = sim.apps()[0]!;
    // Run a little later than the first pass (the apps table keeps seconds).
    const later = clockFrom(new Date(Date.parse(MIDDAY_CST) + 5000).toISOString());
    const one = await exportPass(options(sim, db, [app(fixed.appid, { secret: fixed.secret })], { now: later }));
    expect(one.exitCode).toBe(0);
    const order: string[] = [];
    const events = new ExportEvents();
    events.on((e) => {
      if (e.type === 'app-started') order.push(e.appid);
    });
    await exportPass(options(sim, db, apps, { concurrency: 1, events, now: later }));
    expect(order.at(-1)).toBe(fixed.appid);
  });

  it('an abort leaves the apps not started for the next pass, which completes them', async () => {
    sim = await simulator({ now: clockFrom(MIDDAY_CST), appCount: 6, perDay: 40 });
    const apps = sim.apps().map((a) => app(a.appid, { secret: a.secret }));
    const db = join(tempDir(), 'wxlog.db');
    const controller = new AbortController();
    const events = new ExportEvents();
    events.on((e) => {
      if (e.type === 'app-done') controller.abort(new Error('stop'));
    });
    const first = await exportPass(options(sim, db, apps, { concurrency: 1, events, signal: controller.signal }));
    expect(first.exitCode).toBe(1);
    expect(first.apps.length).toBeLessThan(6);
    expect(first.summary).toMatch(/^interrupted; the next run continues: \d apps, .*\d not started/);
    const second = await exportPass(options(sim, db, apps));
    expect(second.exitCode).toBe(0);
    for (const a of sim.apps()) expectExact(db, sim, a.appid);
  });
});
