import { exportPass } from '../src/cli/export-pass.js';
import { silentLogger } from '../src/log/logger.js';
import { FAULT_KINDS } from '../src/simulator/faults.js';
import { benchConfig, clockFrom, fastClient, frozenSimulator, MIDDAY_CST } from './bench-env.js';
import { caseFrom, type DrillReport } from './drill-case.js';
import { exactProblems, servedEntries } from '../test/helpers/served-rows.js';
import type { TempDirs } from './temp-dirs.js';

/**
 * One export through a storm: 10% of search responses fail, of every kind the simulator has (errcode
 * -1, HTTP 502, connection reset, truncated JSON, a stall past the client's timeout, an HTML page, a
 * body of the wrong shape), and every token expires after 10 uses. One run must end complete and exact.
 */
export async function faultStormDrill(dirs: TempDirs): Promise<DrillReport> {
  const sim = await frozenSimulator(MIDDAY_CST, {
    // Some 400 requests, so that every fault kind turns up several times.
    perDay: 5000,
    maxOffset: 1000,
    callsPerMinute: 1_000_000,
    intervalMs: 1000,
    tokenMaxUses: 10,
    // Longer than the client's 400 ms header timeout: a stall is a timeout.
    faults: { rate: 0.1, kinds: [...FAULT_KINDS], stallMs: 1500 },
  });
  try {
    const config = benchConfig(sim, dirs.make('storm'), { WXLOG_CALLS_PER_MINUTE: '49' });
    const outcome = await exportPass({
      config,
      logger: silentLogger,
      command: 'run',
      now: clockFrom(MIDDAY_CST),
      client: fastClient,
    });
    const { stats } = sim;
    const failed = stats.searchArrivals.length - stats.searchServed - stats.searchRateLimited;
    return {
      drill: 'fault storm',
      cases: [
        caseFrom(
          'one run completes (exit 0)',
          outcome.exitCode === 0 ? [] : [`exit ${outcome.exitCode}: ${outcome.summary}`],
        ),
        caseFrom('database exact, integrity_check ok', exactProblems(config.db, sim)),
      ],
      notes: [
        `${servedEntries(sim)} entries; ${stats.searchArrivals.length} search requests, ${failed} of them faulty or refused for an expired token ` +
          `(${stats.searchServed} served); ${stats.tokenRequests.stable} token requests`,
        `summary: ${outcome.summary}`,
      ],
    };
  } finally {
    await sim.close();
  }
}
