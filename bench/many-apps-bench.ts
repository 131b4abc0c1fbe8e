import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import type { Simulator } from '../src/simulator/simulator.js';
import { frozenSimulator } from './bench-env.js';
import { runCli, type CliRun } from './cli-process.js';
import { appsFileEnv } from '../test/helpers/apps-file-env.js';
import { exactProblems, servedEntries } from '../test/helpers/served-rows.js';
import { formatMs, median, type Figure } from './figure-table.js';
import type { TempDirs } from './temp-dirs.js';

// Many apps from one process (README, "Platforms and companies with several mini programs"): the real CLI
// spawned against a simulator of many apps, tokens from its central token service, an apps file. The
// simulator's interval is scaled down (1 s for WeChat's minute) so a pass of a thousand apps takes seconds.

const INTERVAL_MS = 1000;
const CALLS = 45;
const RSS_GOAL_MB = 300;

function rowsOf<T>(db: string, sql: string): T[] {
  const handle = new BetterSqlite3(db, { readonly: true });
  try {
    return handle.prepare(sql).all() as T[];
  } finally {
    handle.close();
  }
}

function step(text: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}]   ${text}\n`);
}

function check(run: CliRun, what: string): CliRun {
  if (run.status !== 0)
    throw new Error(`${what} exited ${run.status}: ${run.stdout.slice(-400)} ${run.stderr.slice(-400)}`);
  return run;
}

function env(sim: Simulator, dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    WXLOG_API_BASE: sim.url,
    WXLOG_DB: join(dir, 'wxlog.db'),
    WXLOG_RATE_INTERVAL_MS: String(INTERVAL_MS),
    WXLOG_CALLS_PER_MINUTE: String(CALLS),
    WXLOG_LOG_LEVEL: 'error',
    ...extra,
  };
}

function appsEnv(sim: Simulator, dir: string): Record<string, string> {
  return env(sim, dir, appsFileEnv(sim, dir));
}

function mb(run: CliRun): number | null {
  return run.maxRssKb === null ? null : run.maxRssKb / 1024;
}

function rssFigure(name: string, run: CliRun): Figure {
  const value = mb(run);
  return {
    section: 'many apps',
    name,
    value: value === null ? 'not measured' : `${value.toFixed(0)} MB`,
    goal: `≤ ${RSS_GOAL_MB} MB`,
    pass: value === null ? null : value <= RSS_GOAL_MB,
  };
}

/**
 * (a) A first export of 200 apps against one app holding the same total, in the same run: aggregate entries
 * per second (goal ≥ 0.8×). (b) A pass over 1,000 quiet apps with nothing new: search calls per app (goal ≤
 * 7.1) and time (goal ≤ 60 s). (c) Peak RSS of both (goal ≤ 300 MB).
 */
export async function manyAppsBench(dirs: TempDirs, quick: boolean): Promise<Figure[]> {
  const figures: Figure[] = [];
  const apps = quick ? 50 : 200;
  const perDayEach = 60;

  // (a) The same total in one app and in `apps` apps, twice each, interleaved (this machine's load moves by
  // more than the difference measured); each run on a fresh database, the last one of each checked.
  const many = await frozenSimulator(Date.now(), { appCount: apps, perDay: perDayEach, intervalMs: INTERVAL_MS });
  const one = await frozenSimulator(Date.now(), { perDay: perDayEach * apps, intervalMs: INTERVAL_MS });
  const manyRuns: CliRun[] = [];
  const oneRuns: CliRun[] = [];
  let manyDir = '';
  let oneDir = '';
  try {
    for (let rep = 0; rep < 2; rep += 1) {
      oneDir = dirs.make('one-app');
      step(`one app of the same total: first export (${rep + 1} of 2)`);
      const e = env(one, oneDir, { WXLOG_APPID: one.options.appid, WXLOG_SECRET: one.options.secret });
      oneRuns.push(check(await runCli(['run'], e, { measureRss: true }), 'one app'));
      manyDir = dirs.make('many-apps');
      step(`${apps} apps: first export (${rep + 1} of 2)`);
      manyRuns.push(check(await runCli(['run'], appsEnv(many, manyDir), { measureRss: true }), `${apps} apps`));
    }
    step('comparing the rows with what was served');
    const wrongOne = exactProblems(join(oneDir, 'wxlog.db'), one);
    if (wrongOne.length > 0) throw new Error(`one app: not exact: ${wrongOne.slice(0, 3).join('; ')}`);
    // Every app's count, and every tenth app field by field (the whole comparison of 200 apps takes minutes).
    const counts = new Map(
      rowsOf<{ appid: string; n: number }>(
        join(manyDir, 'wxlog.db'),
        'SELECT appid, count(*) AS n FROM log_entries GROUP BY appid',
      ).map((r) => [r.appid, r.n]),
    );
    const wrong = many
      .apps()
      .flatMap((x, i) => [
        ...(counts.get(x.appid) === many.allEntries(x.appid).length ? [] : [`${x.appid}: count`]),
        ...(i % 10 === 0 ? exactProblems(join(manyDir, 'wxlog.db'), many, x.appid).slice(0, 1) : []),
      ]);
    if (wrong.length > 0) throw new Error(`${apps} apps: not exact: ${wrong.slice(0, 3).join('; ')}`);
  } finally {
    await many.close();
    await one.close();
  }
  const manyEntries = many.apps().reduce((n, x) => n + many.allEntries(x.appid).length, 0);
  const manyRun = { ...manyRuns[0]!, ms: median(manyRuns.map((r) => r.ms)) };
  const oneRun = { ...oneRuns[0]!, ms: median(oneRuns.map((r) => r.ms)) };
  manyRun.maxRssKb = Math.max(...manyRuns.map((r) => r.maxRssKb ?? 0)) || null;
  const oneEntries = servedEntries(one);
  const manyRate = manyEntries / (manyRun.ms / 1000);
  const oneRate = oneEntries / (oneRun.ms / 1000);
  figures.push({
    section: 'many apps',
    name: `${apps} apps, first export of ${manyEntries} entries: entries/s against one app of ${oneEntries}`,
    value: `${(manyRate / oneRate).toFixed(2)}× (${manyRate.toFixed(0)} against ${oneRate.toFixed(0)}/s; ${formatMs(manyRun.ms)} against ${formatMs(oneRun.ms)}, medians of 2)`,
    goal: '≥ 0.8×',
    pass: manyRate / oneRate >= 0.8,
  });
  figures.push(rssFigure(`${apps} apps, first export: peak RSS`, manyRun));

  // (b) A thousand quiet apps: a first pass, then the measured one with nothing new.
  const quiet = quick ? 200 : 1000;
  const sim = await frozenSimulator(Date.now(), { appCount: quiet, perDay: 3, intervalMs: INTERVAL_MS });
  try {
    const dir = dirs.make('quiet-apps');
    const e = appsEnv(sim, dir);
    step(`${quiet} quiet apps: first pass`);
    check(await runCli(['run'], e), `${quiet} quiet apps, first pass`);
    step(`${quiet} quiet apps: the measured pass`);
    const before = sim.stats.searchArrivals.length;
    const second = check(await runCli(['run'], e, { measureRss: true }), `${quiet} quiet apps, second pass`);
    const perApp = (sim.stats.searchArrivals.length - before) / quiet;
    figures.push({
      section: 'many apps',
      name: `${quiet} quiet apps, a pass with nothing new: search calls per app`,
      value: perApp.toFixed(2),
      goal: '≤ 7.1',
      pass: perApp <= 7.1,
    });
    figures.push({
      section: 'many apps',
      name: `${quiet} quiet apps, a pass with nothing new: time`,
      value: formatMs(second.ms),
      goal: '≤ 60 s',
      pass: second.ms <= 60_000,
    });
    figures.push(rssFigure(`${quiet} quiet apps, a pass: peak RSS`, second));
  } finally {
    await sim.close();
  }
  return figures;
}
