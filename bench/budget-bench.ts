import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import type { Simulator } from '../src/simulator/simulator.js';
import { frozenSimulator, wxlogEnv } from './bench-env.js';
import { budgetUse, worstSendDelay } from './budget-use.js';
import { runCli, spawnCli } from './cli-process.js';
import { exactProblems } from '../test/helpers/served-rows.js';
import type { Figure } from './figure-table.js';
import type { TempDirs } from './temp-dirs.js';

const BUDGET = 45;
const INTERVAL_MS = 2000;
// About 900 calls, some 42 s of budget (420 and 19 s with --quick): long enough that start-up and the
// last interval weigh little. Pages of 20 keep each call's insert short, so that the scaled-down interval
// measures the budget and not the CPU (45 inserts of 100 entries take about 2 s on this machine).
const PER_DAY = 2600;
const PER_DAY_QUICK = 1200;
const PAGE_SIZE = 20;

interface Scenario {
  label: string;
  /** How the first process is stopped mid-way, or none for a single process. */
  stop?: 'SIGTERM' | 'SIGKILL';
}

/** What wxlog's budget adds to the interval at this scale (src/export/rate-budget.ts). */
const MARGIN_MS = Math.min(1000, Math.max(100, INTERVAL_MS / 50));

const SCENARIOS: Scenario[] = [
  { label: '1 process' },
  { label: '2 processes in turn, 1st SIGTERMed', stop: 'SIGTERM' },
  { label: '2 processes in turn, 1st SIGKILLed', stop: 'SIGKILL' },
];

function recordedSends(db: string): number[] {
  const handle = new BetterSqlite3(db, { readonly: true });
  try {
    return (handle.prepare('SELECT at_ms AS t FROM search_requests').all() as { t: number }[]).map((r) => r.t);
  } finally {
    handle.close();
  }
}

async function waitForArrivals(sim: Simulator, count: number): Promise<void> {
  while (sim.stats.searchArrivals.length < count) await delay(20);
}

/**
 * A busy export through the CLI with the interval scaled down to 2 s: the simulator (50 per interval,
 * like WeChat) records every search request's arrival; wxlog's budget is 45. With two processes the
 * second starts the moment the first has exited, on the same database, and must continue its budget.
 */
export async function budgetBench(dirs: TempDirs, quick: boolean): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const scenario of SCENARIOS) {
    // The spawned CLI's calendar is the real clock: the simulator's stands still at its start.
    const perDay = quick ? PER_DAY_QUICK : PER_DAY;
    const sim = await frozenSimulator(Date.now(), { perDay, callsPerMinute: 50, intervalMs: INTERVAL_MS });
    try {
      const db = join(dirs.make('budget'), 'wxlog.db');
      const env = wxlogEnv(sim, db, { WXLOG_CALLS_PER_MINUTE: String(BUDGET), WXLOG_PAGE_SIZE: String(PAGE_SIZE) });
      const exits: string[] = [];
      if (scenario.stop === undefined) {
        const run = await runCli(['run'], env);
        exits.push(String(run.status));
      } else {
        const first = spawnCli(['run'], env);
        // Mid-way: about 40% of the export's calls.
        await waitForArrivals(sim, Math.round((0.4 * 7 * perDay) / PAGE_SIZE));
        first.child.kill(scenario.stop);
        const stopped = await first.done;
        exits.push(stopped.signal ?? String(stopped.status));
        const second = await runCli(['run'], env);
        exits.push(String(second.status));
      }
      const use = budgetUse(sim.stats.searchArrivals, BUDGET, INTERVAL_MS);
      // Only a single process sends every request it records: a stopped one records some it never sends.
      const delay =
        scenario.stop === undefined
          ? `; send delay ≤ ${worstSendDelay(recordedSends(db), sim.stats.searchArrivals)} ms, margin ${MARGIN_MS} ms`
          : '';
      const problems = exactProblems(db, sim);
      const finished = exits.at(-1) === '0' && problems.length === 0;
      const note = finished ? '' : ` NOT EXACT (exits ${exits.join(', ')}; ${problems.join('; ')})`;
      figures.push({
        section: 'Budget',
        name: `${scenario.label}: most requests in any 2 s`,
        value: `${use.maxInInterval} (${sim.stats.searchRateLimited}× 200010${delay})${note}`,
        goal: `≤ ${BUDGET}`,
        pass: finished && use.maxInInterval <= BUDGET && sim.stats.searchRateLimited === 0,
      });
      figures.push({
        section: 'Budget',
        name: `${scenario.label}: share of budget used`,
        value:
          `${(use.share * 100).toFixed(1)}% (${use.requests} requests in ${(use.spanMs / 1000).toFixed(1)} s, least possible ` +
          `${(use.leastMs / 1000).toFixed(1)} s${exits.length > 1 ? `; 1st ended by ${exits[0] ?? '?'}, 2nd exit ${exits[1] ?? '?'}` : ''})`,
        goal: '≥ 90%',
        pass: finished && use.share >= 0.9,
      });
    } finally {
      await sim.close();
    }
  }
  return figures;
}
