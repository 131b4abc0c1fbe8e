import { join } from 'node:path';
import type { SimulatorOptions } from '../src/simulator/simulator.js';
import { frozenSimulator, wxlogEnv } from './bench-env.js';
import { runCli } from './cli-process.js';
import { exactProblems, lowerBoundCalls } from '../test/helpers/served-rows.js';
import type { Figure } from './figure-table.js';
import type { TempDirs } from './temp-dirs.js';

/** Enough entries a day that the page size decides the calls: 60 pages of 50, 6 of 500. */
const PER_DAY = 3000;
const BUDGET = 49;
/** The budget out of the way, as in the ingest bench: calls, not time, are measured. */
const INTERVAL_MS = 100;

interface Ceiling {
  size: number;
  mode: NonNullable<SimulatorOptions['pageSizeCapMode']>;
}

// Refusals above 50 and 500 make wxlog search; silent caps at 100 and 300 cost it nothing to learn.
const CEILINGS: Ceiling[] = [
  { size: 50, mode: 'reject' },
  { size: 100, mode: 'truncate' },
  { size: 300, mode: 'truncate' },
  { size: 500, mode: 'reject' },
];

/**
 * A first export with `wxlog run`'s defaults (WXLOG_PAGE_SIZE unset, so 1000) against servers with an
 * undocumented page ceiling: every search call the server received, refused ones included, against the
 * least an exporter that knew the ceiling would need (pages of the ceiling's size).
 */
export async function pageCeilingBench(dirs: TempDirs): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const ceiling of CEILINGS) {
    // A spawned wxlog reads the real clock: the simulator's calendar stands at the same instant.
    const at = Date.now();
    const sim = await frozenSimulator(at, {
      perDay: PER_DAY,
      callsPerMinute: 1_000_000_000,
      intervalMs: INTERVAL_MS,
      maxPageSize: ceiling.size,
      pageSizeCapMode: ceiling.mode,
    });
    try {
      const dir = dirs.make(`ceiling-${ceiling.size}`);
      const db = join(dir, 'wxlog.db');
      const run = await runCli(['run'], wxlogEnv(sim, db, { WXLOG_CALLS_PER_MINUTE: String(BUDGET) }), { cwd: dir });
      const calls = sim.stats.searchArrivals.length;
      const bound = lowerBoundCalls(sim, ceiling.size);
      const problems = exactProblems(db, sim);
      const ok = run.status === 0 && problems.length === 0;
      const ratio = calls / bound;
      const what = ceiling.mode === 'reject' ? 'refused above' : 'silent cap at';
      figures.push({
        section: 'Calls',
        name: `page ceiling ${ceiling.size} (${what}), ${PER_DAY.toLocaleString('en-US')}/day, default size: calls ÷ lower bound`,
        value: `${ratio.toFixed(2)}× (${calls} / ${bound})${ok ? '' : ` NOT EXACT: exit ${String(run.status)}; ${[...problems, run.stderr.trim()].filter(Boolean).join('; ')}`}`,
        goal: '≤ 1.10×',
        pass: ok && ratio <= 1.1,
      });
    } finally {
      await sim.close();
    }
  }
  return figures;
}
