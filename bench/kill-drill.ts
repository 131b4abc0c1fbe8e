import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { frozenSimulator, wxlogEnv } from './bench-env.js';
import { runCli, spawnCli } from './cli-process.js';
import { integrity } from './db-checksum.js';
import { caseFrom, type DrillCase, type DrillReport } from './drill-case.js';
import { exactProblems, servedEntries } from '../test/helpers/served-rows.js';
import { seededRandom } from './seeded-random.js';
import type { TempDirs } from './temp-dirs.js';

const KILLS = 20;
/** A kill lands this long after the process was spawned, uniformly (Node's start-up takes ~250 ms). */
const KILL_AFTER_MS: [number, number] = [100, 1600];

/**
 * SIGKILL at 20 random instants across a long export, resuming each time, then a final run to the end:
 * the database must be exact and sound. The budget is small (20 calls per second) and offsets are capped
 * so that windows get split: the export takes some 20 s of budget and its ledger has depth.
 */
export async function killDrill(dirs: TempDirs, seed: number): Promise<DrillReport> {
  const random = seededRandom(seed);
  // The CLI's calendar is the real clock: the simulator's stands still where it started.
  const sim = await frozenSimulator(Date.now(), {
    perDay: 4000,
    maxOffset: 1000,
    callsPerMinute: 1_000_000,
    intervalMs: 1000,
  });
  const cases: DrillCase[] = [];
  const landed: number[] = [];
  try {
    const db = join(dirs.make('kill'), 'wxlog.db');
    const env = wxlogEnv(sim, db, { WXLOG_CALLS_PER_MINUTE: '20' });
    let finishedEarly = 0;
    while (landed.length < KILLS) {
      const wait = KILL_AFTER_MS[0] + random() * (KILL_AFTER_MS[1] - KILL_AFTER_MS[0]);
      const run = spawnCli(['run'], env);
      const ended = await Promise.race([run.done.then(() => true), delay(wait).then(() => false)]);
      if (ended) {
        // The export was over before this instant: the instants did not cover it.
        finishedEarly += 1;
        break;
      }
      run.child.kill('SIGKILL');
      const result = await run.done;
      landed.push(sim.stats.searchArrivals.length);
      const sound = result.signal === 'SIGKILL' ? integrity(db) : 'not killed';
      cases.push(
        caseFrom(`kill ${landed.length} after ${wait.toFixed(0)} ms: integrity_check`, sound === 'ok' ? [] : [sound]),
      );
    }
    if (finishedEarly > 0)
      cases.push(caseFrom('20 kills before the export was over', [`the export finished after ${landed.length} kills`]));
    const final = await runCli(['run'], env);
    cases.push(
      caseFrom(
        'final run completes (exit 0)',
        final.status === 0 ? [] : [`exit ${String(final.status)}: ${final.stdout.trim()} ${final.stderr.trim()}`],
      ),
    );
    cases.push(caseFrom('database exact, integrity_check ok', exactProblems(db, sim)));
    return {
      drill: 'SIGKILL drill',
      cases,
      notes: [
        `seed ${seed}; ${servedEntries(sim)} entries served; kills landed after these counts of search requests: ${landed.join(', ')}`,
        `of ${sim.stats.searchArrivals.length} in all; final run: ${final.stdout.trim()}`,
      ],
    };
  } finally {
    await sim.close();
  }
}
