import { exportPass } from '../src/cli/export-pass.js';
import { silentLogger } from '../src/log/logger.js';
import { benchConfig, clockFrom, fastClient, frozenSimulator, MIDDAY_CST } from './bench-env.js';
import { exactProblems, lowerBoundCalls } from '../test/helpers/served-rows.js';
import type { Figure } from './figure-table.js';
import { TempDirs } from './temp-dirs.js';

const PAGE_SIZE = 100;

interface App {
  label: string;
  perDay: number;
  maxOffset?: number;
}

const APPS: App[] = [
  { label: 'quiet app, 30/day', perDay: 30 },
  { label: 'busy app, 1,500/day, offset cap 1,000', perDay: 1500, maxOffset: 1000 },
];

/**
 * Search calls of a first full export against the least any exporter needs, then of a second run with
 * nothing new. The budget is generous (49 per scaled-down second) and the simulator does not limit:
 * calls, not time, are measured here.
 */
export async function callsBench(dirs: TempDirs): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const app of APPS) {
    const sim = await frozenSimulator(MIDDAY_CST, {
      perDay: app.perDay,
      callsPerMinute: 1_000_000,
      intervalMs: 1000,
      ...(app.maxOffset === undefined ? {} : { maxOffset: app.maxOffset }),
    });
    try {
      const config = benchConfig(sim, dirs.make('calls'), {
        WXLOG_CALLS_PER_MINUTE: '49',
        WXLOG_PAGE_SIZE: String(PAGE_SIZE),
      });
      const now = clockFrom(MIDDAY_CST);
      const pass = () => exportPass({ config, logger: silentLogger, command: 'run', now, client: fastClient });
      const bound = lowerBoundCalls(sim, PAGE_SIZE);
      const first = await pass();
      const problems = exactProblems(config.db, sim);
      const firstOk = first.exitCode === 0 && problems.length === 0;
      const ratio = first.searchCalls / bound;
      figures.push({
        section: 'Calls',
        name: `${app.label}: first export, calls ÷ lower bound`,
        value: `${ratio.toFixed(2)}× (${first.searchCalls} / ${bound})${firstOk ? '' : ` NOT EXACT: exit ${first.exitCode}; ${problems.join('; ')}`}`,
        goal: '≤ 1.10×',
        pass: firstOk && ratio <= 1.1,
      });
      const second = await pass();
      const perDay = second.searchCalls / sim.retentionDays().length;
      figures.push({
        section: 'Calls',
        name: `${app.label}: second run, nothing new, calls/day`,
        value: `${perDay.toFixed(2)} (${second.searchCalls} calls)${second.exitCode === 0 ? '' : ` exit ${second.exitCode}`}`,
        goal: '≈ 1 (≤ 1.10)',
        pass: second.exitCode === 0 && perDay <= 1.1,
      });
    } finally {
      await sim.close();
    }
  }
  return figures;
}
