import { join } from 'node:path';
import type { PassOptions } from '../src/cli/export-pass.js';
import type { Config } from '../src/config/config-schema.js';
import { loadConfig } from '../src/config/load-config.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../src/simulator/simulator.js';

/** 12:00 in China on 2026-11-22: mid-day, far from CST midnight. */
export const MIDDAY_CST = Date.parse('2026-11-22T04:00:00Z');

/**
 * A calendar clock that starts at `startMs` and moves at real speed: days and retention are fixed while
 * the rate budget and timeouts still see real time.
 */
export function clockFrom(startMs: number): () => number {
  const t0 = Date.now();
  return () => startMs + (Date.now() - t0);
}

/**
 * A simulator whose calendar stands still at `at`, so that today's entries do not grow while a
 * measurement runs. Rate limits and token expiry still use real time.
 */
export function frozenSimulator(at: number, options: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({ intervalMs: 1000, seed: 42, ...options, now: () => at });
}

/**
 * The `WXLOG_*` settings that point a spawned `wxlog` (or `loadConfig`) at `sim` and `db`, with the
 * budget's interval scaled to the simulator's.
 */
export function wxlogEnv(sim: Simulator, db: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    WXLOG_APPID: sim.options.appid,
    WXLOG_SECRET: sim.options.secret,
    WXLOG_API_BASE: sim.url,
    WXLOG_DB: db,
    WXLOG_RATE_INTERVAL_MS: String(sim.options.intervalMs),
    WXLOG_LOG_LEVEL: 'error',
    ...extra,
  };
}

/** Settings for an in-process export pass, resolved exactly as the CLI resolves them. */
export function benchConfig(sim: Simulator, dir: string, extra: Record<string, string> = {}): Config {
  return loadConfig({ env: wxlogEnv(sim, join(dir, 'wxlog.db'), extra), cwd: dir });
}

/** Short retries and timeouts for in-process passes against a fast loopback simulator. */
export const fastClient: PassOptions['client'] = {
  retryPolicy: {
    transient: { retries: 8, baseDelayMs: 5, maxDelayMs: 50 },
    rate: { retries: 8, baseDelayMs: 5, maxDelayMs: 50 },
  },
  timeouts: { connectMs: 1000, headersMs: 400, bodyMs: 400 },
};

/**
 * Runs the two measurements of repeat `rep`, `reference` first on even repeats and `wxlog` first on odd ones, so
 * that a machine slowing down or warming up does not favour either.
 */
export async function alternately(
  rep: number,
  reference: () => Promise<void>,
  wxlog: () => Promise<void>,
): Promise<void> {
  for (const measure of rep % 2 === 0 ? [reference, wxlog] : [wxlog, reference]) await measure();
}
