import { join } from 'node:path';
import { exportPass, type PassOptions } from '../../src/cli/export-pass.js';
import type { Config } from '../../src/config/config-schema.js';
import { loadConfig } from '../../src/config/load-config.js';
import { silentLogger } from '../../src/log/logger.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/simulator.js';

/**
 * A calendar clock that starts at a fixed instant and moves at real speed: days and retention are
 * deterministic while rate limits and timeouts still see real time.
 */
export function clockFrom(iso: string): () => number {
  const base = Date.parse(iso);
  const t0 = Date.now();
  return () => base + (Date.now() - t0);
}

export { MIDDAY_CST } from './fixed-now.js';

/**
 * A simulator whose calendar stands still at `now()`'s current instant, so today's entries do not grow
 * while a test runs (the exporter's own clock still moves, for its rate budget).
 */
export async function simulator(options: SimulatorOptions & { now: () => number }): Promise<Simulator> {
  const frozen = options.now();
  return startSimulator({ intervalMs: 1000, seed: 42, ...options, now: () => frozen });
}

/**
 * Settings pointing at `sim`, with the budget scaled to the simulator's interval. Pages of 100 (not the
 * default 1000) so that a day of a few hundred entries takes several pages, as the tests need.
 */
export function configFor(sim: Simulator, dir: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    env: {
      WXLOG_APPID: sim.options.appid,
      WXLOG_SECRET: sim.options.secret,
      WXLOG_API_BASE: sim.url,
      WXLOG_DB: join(dir, 'wxlog.db'),
      WXLOG_RATE_INTERVAL_MS: String(sim.options.intervalMs),
      WXLOG_PAGE_SIZE: '100',
      ...env,
    },
    cwd: dir,
  });
}

/** Short retries and timeouts so fault tests take seconds. */
export const fastClient: PassOptions['client'] = {
  retryPolicy: {
    transient: { retries: 6, baseDelayMs: 5, maxDelayMs: 50 },
    rate: { retries: 6, baseDelayMs: 5, maxDelayMs: 50 },
  },
  timeouts: { connectMs: 1000, headersMs: 400, bodyMs: 400 },
};

export function pass(config: Config, now: () => number, extra: Partial<PassOptions> = {}) {
  return exportPass({ config, logger: silentLogger, command: 'run', now, client: fastClient, ...extra });
}
