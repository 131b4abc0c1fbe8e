import { exportPass } from '../src/cli/export-pass.js';
import { ExportEvents } from '../src/events/export-events.js';
import { silentLogger } from '../src/log/logger.js';
import { createMetrics } from '../src/metrics/export-metrics.js';
import { benchConfig, fastClient, frozenSimulator } from './bench-env.js';
import { formatMs, median, type Figure } from './figure-table.js';
import type { TempDirs } from './temp-dirs.js';

/**
 * The cost of metrics on ingest: the same first export with the metrics of `wxlog daemon` subscribed to the
 * event stream (what WXLOG_METRICS_ADDR turns on) and without, alternately in the same run, on fresh
 * databases (goal ≤ 1.05×). In process, so that both differ only in the subscriber.
 */
export async function metricsBench(dirs: TempDirs, quick: boolean): Promise<Figure[]> {
  const at = Date.now();
  const entries = quick ? 20_000 : 100_000;
  const sim = await frozenSimulator(at, {
    perDay: Math.round(entries / 6.5),
    callsPerMinute: 1_000_000_000,
    intervalMs: 100,
  });
  const times = { with: [] as number[], without: [] as number[] };
  try {
    for (let rep = 0; rep < 3; rep += 1) {
      for (const metricsOn of rep % 2 === 0 ? [false, true] : [true, false]) {
        const config = benchConfig(sim, dirs.make('metrics'), {
          WXLOG_CALLS_PER_MINUTE: '49',
          WXLOG_RATE_INTERVAL_MS: '100',
        });
        const events = new ExportEvents();
        if (metricsOn) events.on(createMetrics().listener);
        const started = performance.now();
        const outcome = await exportPass({ config, logger: silentLogger, command: 'run', client: fastClient, events });
        if (outcome.exitCode !== 0)
          throw new Error(`metrics bench: the export exited ${outcome.exitCode}: ${outcome.summary}`);
        (metricsOn ? times.with : times.without).push(performance.now() - started);
      }
    }
  } finally {
    await sim.close();
  }
  const ratio = median(times.with) / median(times.without);
  return [
    {
      section: 'metrics',
      name: `first export of ~${(entries / 1000).toFixed(0)}k entries with the daemon's metrics against without`,
      value: `${ratio.toFixed(2)}× (${formatMs(median(times.with))} against ${formatMs(median(times.without))}, medians of 3)`,
      goal: '≤ 1.05×',
      pass: ratio <= 1.05,
    },
  ];
}
