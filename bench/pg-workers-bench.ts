import { appsFileEnv } from '../test/helpers/apps-file-env.js';
import { performance } from 'node:perf_hooks';
import { maxInAnyInterval } from '../src/simulator/sliding-limiter.js';
import { frozenSimulator } from './bench-env.js';
import { spawnCli, type CliRun } from './cli-process.js';
import { formatMs, type Figure } from './figure-table.js';
import type { BenchPostgres } from './pg-server.js';
import type { TempDirs } from './temp-dirs.js';

// Several workers on one PostgreSQL database (issue 12): 300 quiet apps, a simulator answering every
// request after 200 ms (WeChat's latency from a cloud region is of that order), WXLOG_CONCURRENCY 8. One
// `wxlog run` against three started together, each on a fresh database, in the same run: with the time
// spent waiting on the network, three workers should take about a third. The simulator's interval is
// scaled down as in bench/many-apps-bench.ts (1 s for WeChat's minute); a quiet app's pass is far below it.

const LATENCY_MS = 200;
const CONCURRENCY = 8;
const INTERVAL_MS = 1000;
const CALLS = 45;
const GOAL = 0.4;
/** Exit codes a worker may end with: 0, or 4 when other workers held every app it reached. */
const WORKER_EXITS = [0, 4];

function step(text: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}]   ${text}\n`);
}

interface Pass {
  workers: number;
  /** From the first worker's spawn to the last one's exit. */
  ms: number;
  runs: CliRun[];
  /** Runs rows of the pass (an app exported twice has two). */
  appRuns: number;
  /** Apps with a finished run of exit 0 and apps.last_exit 0. */
  complete: number;
  /** Entries stored, against what the simulator serves. */
  entries: number;
  /** The most searches of one app the workers recorded in any interval (+ 200 ms of margin). */
  maxRecorded: number;
}

interface AppRow {
  appid: string;
  runs: number;
  ok_runs: number;
  last_exit: number | null;
}

async function pass(pg: BenchPostgres, env: Record<string, string>, workers: number, apps: number): Promise<Pass> {
  const db = await pg.createDatabase('wxlog_bench_workers');
  try {
    await pg.query(pg.url, 'CHECKPOINT');
    const started = performance.now();
    // Started together: they migrate the new database together, then share the apps through their leases.
    const children = Array.from({ length: workers }, () => spawnCli(['run'], { ...env, WXLOG_DB: db }));
    const runs = await Promise.all(children.map((c) => c.done));
    const ms = performance.now() - started;
    for (const run of runs)
      if (run.status === null || !WORKER_EXITS.includes(run.status))
        throw new Error(
          `a worker of ${workers} exited ${String(run.status ?? run.signal)}: ${run.stdout.slice(-400)} ${run.stderr.slice(-400)}`,
        );
    const rows = await pg.query<AppRow>(
      db,
      `SELECT a.appid, a.last_exit,
              (SELECT count(*) FROM runs r WHERE r.appid = a.appid) AS runs,
              (SELECT count(*) FROM runs r WHERE r.appid = a.appid AND r.finished_at IS NOT NULL AND r.exit_code = 0)
                AS ok_runs
       FROM apps a`,
    );
    const [stored] = await pg.query<{ n: number }>(db, 'SELECT count(*) AS n FROM log_entries');
    const sent = await pg.query<{ appid: string; at: number }>(
      db,
      'SELECT appid, at_ms AS at FROM search_requests ORDER BY appid',
    );
    const byApp = new Map<string, number[]>();
    for (const s of sent) byApp.set(s.appid, [...(byApp.get(s.appid) ?? []), s.at]);
    const maxRecorded = Math.max(0, ...[...byApp.values()].map((at) => maxInAnyInterval(at, INTERVAL_MS + 200)));
    const complete = rows.filter((r) => r.ok_runs >= 1 && r.last_exit === 0).length;
    if (complete !== apps)
      throw new Error(
        `${workers} worker(s): ${complete} of ${apps} apps have a complete pass: ` +
          runs.map((r) => r.stdout.trim()).join(' | '),
      );
    return {
      workers,
      ms,
      runs,
      appRuns: rows.reduce((n, r) => n + r.runs, 0),
      complete,
      entries: stored?.n ?? 0,
      maxRecorded,
    };
  } finally {
    await pg.dropDatabase(db);
  }
}

/** One worker's pass over the quiet apps against three workers', each on a fresh database (see above). */
export async function pgWorkersBench(pg: BenchPostgres, dirs: TempDirs, quick: boolean): Promise<Figure[]> {
  const apps = quick ? 100 : 300;
  const sim = await frozenSimulator(Date.now(), {
    appCount: apps,
    perDay: 3,
    intervalMs: INTERVAL_MS,
    latencyMs: LATENCY_MS,
  });
  const dir = dirs.make('pg-workers');
  const env = {
    ...appsFileEnv(sim, dir),
    WXLOG_RATE_INTERVAL_MS: String(INTERVAL_MS),
    WXLOG_CALLS_PER_MINUTE: String(CALLS),
    WXLOG_CONCURRENCY: String(CONCURRENCY),
    WXLOG_LOG_LEVEL: 'error',
  };
  const measure = async (): Promise<{ one: Pass; three: Pass; maxArrived: number }> => {
    const served = sim.apps().reduce((n, a) => n + sim.allEntries(a.appid).length, 0);
    step(`${apps} quiet apps, ${LATENCY_MS} ms latency: one worker`);
    const one = await pass(pg, env, 1, apps);
    step(`${apps} quiet apps, ${LATENCY_MS} ms latency: three workers`);
    const three = await pass(pg, env, 3, apps);
    for (const p of [one, three])
      if (p.entries !== served)
        throw new Error(`${p.workers} worker(s) stored ${p.entries} entries, the simulator serves ${served}`);
    // What the simulator saw of each app over both passes (each pass's sends are far apart in time), stamped
    // when its handler ran in this busy process: within the interval less 300 ms, as the workers test has it.
    const maxArrived = Math.max(...sim.apps().map((a) => sim.maxSearchesInAnyInterval(INTERVAL_MS - 300, a.appid)));
    return { one, three, maxArrived };
  };
  let measured: Awaited<ReturnType<typeof measure>>;
  try {
    measured = await measure();
  } finally {
    await sim.close();
  }
  const { one, three, maxArrived } = measured;
  const ratio = three.ms / one.ms;
  const label = `${apps} quiet apps, ${LATENCY_MS} ms latency, WXLOG_CONCURRENCY ${CONCURRENCY}`;
  const exits = (p: Pass): string => p.runs.map((r) => String(r.status)).join(', ');
  return [
    {
      section: 'PG workers',
      name: `${label}: three workers' pass ÷ one worker's`,
      value: `${ratio.toFixed(2)}× (${formatMs(three.ms)} / ${formatMs(one.ms)}, to the last exit)`,
      goal: `≤ ${GOAL.toFixed(2)}×`,
      pass: ratio <= GOAL,
    },
    {
      section: 'PG workers',
      name: `${label}: apps complete, runs rows (one worker; three)`,
      value:
        `${one.complete}/${apps}, ${one.appRuns} runs; ${three.complete}/${apps}, ${three.appRuns} runs ` +
        `(exits ${exits(three)})`,
      goal: `${apps}/${apps}`,
      pass: one.complete === apps && three.complete === apps,
    },
    {
      section: 'PG workers',
      name: `${label}: most searches of one app in any interval (recorded; arrived)`,
      value: `${Math.max(one.maxRecorded, three.maxRecorded)}; ${maxArrived}`,
      goal: `≤ ${CALLS}`,
      pass: Math.max(one.maxRecorded, three.maxRecorded, maxArrived) <= CALLS,
    },
  ];
}
