import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { maxInAnyInterval } from '../../src/simulator/sliding-limiter.js';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { expectExact } from '../helpers/exact.js';
import { tempDir } from '../helpers/temp-dir.js';
import { appsFileEnv } from '../helpers/apps-file-env.js';
import { waitFor } from '../helpers/wait-for.js';
import { CLI, runCli } from './run-cli.js';

// The many-apps form as users run it: a config file's `apps` or an apps file, the real CLI spawned against
// the simulator (in this process, on the real clock), the database read back field by field.

const INTERVAL_MS = 1000;
const CALLS = 8;

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** A simulator whose calendar stands at the test's start: today's entries stop growing, the spawned CLI's real clock stays in the same CST day. */
function frozenNow(): () => number {
  const at = Date.now();
  return () => at;
}

function baseEnv(s: Simulator, dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    WXLOG_API_BASE: s.url,
    WXLOG_DB: join(dir, 'wxlog.db'),
    WXLOG_RATE_INTERVAL_MS: String(INTERVAL_MS),
    WXLOG_CALLS_PER_MINUTE: String(CALLS),
    WXLOG_PAGE_SIZE: '100',
    WXLOG_LOG_LEVEL: 'warn',
    ...extra,
  };
}

function rows<T>(db: string, sql: string): T[] {
  const handle = new BetterSqlite3(db, { readonly: true });
  try {
    return handle.prepare(sql).all() as T[];
  } finally {
    handle.close();
  }
}

async function stableToken(s: Simulator, appid: string, secret: string): Promise<string> {
  const res = await fetch(`${s.url}/cgi-bin/stable_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credential', appid, secret }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

describe('many apps from one process (subprocess)', () => {
  it('exports 50+ apps of mixed token modes exactly; a wrong secret and a failing token service fail those apps alone', async () => {
    sim = await startSimulator({
      appCount: 54,
      perDay: 20,
      intervalMs: INTERVAL_MS,
      callsPerMinute: 50,
      seed: 5,
      now: frozenNow(),
    });
    const all = sim.apps();
    const [wrongSecret, badService, staticApp, ...rest] = all;
    sim.setTokenServiceFailure(badService!.appid, { errcode: 40013, errmsg: 'invalid appid' });
    const token = await stableToken(sim, staticApp!.appid, staticApp!.secret);
    // A token command as a platform writes one: ask the central service for this app (node is on PATH).
    const command =
      `node -e "fetch(process.argv[1].replace('{appid}', process.env.WXLOG_APPID))` +
      `.then((r) => r.text()).then((t) => process.stdout.write(t))" '${sim.tokenServiceUrl}'`;
    const apps = [
      { appid: wrongSecret!.appid, secret: 'not-the-secret' },
      { appid: badService!.appid }, // the top-level tokenUrl serves it
      { appid: staticApp!.appid, accessToken: token },
      ...rest.map((a, i) =>
        i % 3 === 0
          ? { appid: a.appid, secret: a.secret }
          : i % 3 === 1
            ? { appid: a.appid }
            : { appid: a.appid, tokenCommand: command },
      ),
    ];
    const dir = tempDir();
    const file = join(dir, 'wxlog.json');
    writeFileSync(file, JSON.stringify({ apps, tokenUrl: sim.tokenServiceUrl, concurrency: 8 }));
    const db = join(dir, 'wxlog.db');

    const result = await runCli(['run', '--config', file], baseEnv(sim, dir));

    expect(result.stderr).not.toContain(token);
    for (const a of all) expect(result.stdout + result.stderr).not.toContain(a.secret);
    expect(result.status).toBe(1);
    const lines = result.stdout.trimEnd().split('\n');
    // One line for the pass, one per failed app: never a line per healthy app.
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^wxlog run: incomplete; the next run continues: 54 apps, 2 failed, /);
    expect(lines.slice(1).sort()).toEqual(
      [`wxlog run: failed ${wrongSecret!.appid}: `, `wxlog run: failed ${badService!.appid}: `]
        .sort()
        .map((prefix) => expect.stringMatching(new RegExp(`^${prefix}`)) as unknown as string),
    );
    for (const a of [staticApp!, ...rest]) expectExact(db, sim, a.appid);
    for (const a of all) expect(sim.maxSearchesInAnyInterval(INTERVAL_MS, a.appid)).toBeLessThanOrEqual(CALLS);
    const runs = rows<{ appid: string; worker: string }>(db, 'SELECT appid, worker FROM runs');
    expect(runs).toHaveLength(54);
    expect(new Set(runs.map((r) => r.worker)).size).toBe(1);
    expect(runs[0]?.worker).toMatch(/^.+:\d+$/);
    const text = JSON.stringify(rows(db, 'SELECT * FROM runs')) + JSON.stringify(rows(db, 'SELECT * FROM apps'));
    expect(text).not.toContain(token);
  }, 120_000);

  it('a pass SIGKILLed mid-export is resumed by the next, every app exact; status shows the killed run interrupted', async () => {
    sim = await startSimulator({
      appCount: 8,
      perDay: 300,
      intervalMs: INTERVAL_MS,
      callsPerMinute: 50,
      seed: 9,
      now: frozenNow(),
    });
    const dir = tempDir();
    const env = baseEnv(sim, dir, { ...appsFileEnv(sim, dir), WXLOG_CONCURRENCY: '3' });
    const db = join(dir, 'wxlog.db');
    const child = spawn(process.execPath, [CLI, 'run'], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // Killed once some apps are done and others are in flight.
    await waitFor(
      () => {
        try {
          return rows<{ n: number }>(db, 'SELECT count(*) AS n FROM runs WHERE finished_at IS NOT NULL')[0]!.n >= 2;
        } catch {
          return false;
        }
      },
      'two apps finished',
      60_000,
    );
    child.kill('SIGKILL');
    await exited;
    const status = await runCli(['status', '--db', db, '--json'], {});
    const killed = JSON.parse(status.stdout) as { apps: { state: string }[] };
    expect(killed.apps.some((a) => a.state === 'interrupted')).toBe(true);
    expect(killed.apps.some((a) => a.state === 'running')).toBe(false);

    const second = await runCli(['run'], env);
    expect(second.status).toBe(0);
    for (const a of sim.apps()) expectExact(db, sim, a.appid);
  }, 120_000);

  it('two processes in turn share each app budget: no app over it in any sliding interval', async () => {
    // A longer interval, so that the second process starts while the first's calls still count.
    const interval = 4000;
    sim = await startSimulator({
      appCount: 4,
      perDay: 100,
      intervalMs: interval,
      callsPerMinute: 50,
      seed: 3,
      now: frozenNow(),
    });
    const dir = tempDir();
    const env = baseEnv(sim, dir, { ...appsFileEnv(sim, dir), WXLOG_RATE_INTERVAL_MS: String(interval) });
    const first = await runCli(['run'], env);
    expect(first.status).toBe(0);
    // More entries arrive today; the second process starts at once.
    const today = sim.retentionDays().at(-1)!;
    for (const a of sim.apps()) sim.addEntries(today, 250, undefined, a.appid);
    const second = await runCli(['run'], env);
    expect(second.status).toBe(0);
    for (const a of sim.apps()) {
      // The budget as both processes kept it: their send times, recorded in the database before each request
      // left, never more than CALLS in any span (the interval plus its 200 ms margin, src/export/rate-budget.ts).
      const sent = rows<{ at: number }>(
        join(dir, 'wxlog.db'),
        `SELECT at_ms AS at FROM search_requests WHERE appid = '${a.appid}'`,
      ).map((r) => r.at);
      expect(sent.length).toBe(sim.statsFor(a.appid).searchArrivals.length);
      expect(maxInAnyInterval(sent, interval + 200)).toBeLessThanOrEqual(CALLS);
      // What the simulator saw. It stamps an arrival when its handler runs in this test process, which the
      // whole suite keeps busy: two full runs saw 9 and 10 in 4 s, none alone. The interval less 500 ms of
      // that stamping delay is what can be asked of it here; the 54-app test above checks the full interval.
      expect(sim.maxSearchesInAnyInterval(interval - 500, a.appid)).toBeLessThanOrEqual(CALLS);
      expectExact(join(dir, 'wxlog.db'), sim, a.appid);
    }
  }, 120_000);

  it('the daemon reads the apps file again at every pass: apps added are exported, apps removed are not', async () => {
    sim = await startSimulator({
      appCount: 4,
      perDay: 10,
      intervalMs: INTERVAL_MS,
      callsPerMinute: 50,
      seed: 4,
      now: frozenNow(),
    });
    const [a, b, c, d] = sim.apps().map((x) => x.appid) as [string, string, string, string];
    const dir = tempDir();
    const db = join(dir, 'wxlog.db');
    const appsEnv = appsFileEnv(sim, dir, [a, b]);
    const appsFile = appsEnv.WXLOG_APPS_FILE;
    const env = baseEnv(sim, dir, { ...appsEnv, WXLOG_SCHEDULE: '*/2 * * * * *' });
    const child = spawn(process.execPath, [CLI, 'daemon'], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const passesOf = (appid: string): number =>
      rows<{ n: number }>(db, `SELECT count(*) AS n FROM runs WHERE appid = '${appid}' AND finished_at IS NOT NULL`)[0]!
        .n;
    const safely = (f: () => boolean) => () => {
      try {
        return f();
      } catch {
        return false;
      }
    };
    await waitFor(
      safely(() => passesOf(a) >= 1 && passesOf(b) >= 1),
      'the first pass',
      30_000,
    );
    writeFileSync(appsFile, `${b}\n${c}\n${d}\n`);
    const aBefore = passesOf(a);
    await waitFor(
      safely(() => passesOf(c) >= 1 && passesOf(d) >= 1),
      'a pass with the edited file',
      30_000,
    );
    const bAfter = passesOf(b);
    await waitFor(
      safely(() => passesOf(b) > bAfter),
      'one more pass',
      30_000,
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The removed app got at most the pass that was running when the file changed.
    expect(passesOf(a)).toBeLessThanOrEqual(aBefore + 1);
    for (const id of [b, c, d]) expectExact(db, sim, id);
  }, 120_000);
});
