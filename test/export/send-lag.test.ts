import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/simulator.js';
import { configFor, pass, simulator } from '../helpers/export-fixture.js';
import { tempDir } from '../helpers/temp-dir.js';

// A search call is counted in the budget the moment before it leaves (src/export/rate-budget.ts): the
// budget's margin covers a little lag, not a wait for a connection of the pass's shared HTTP pool. Each app
// reads two days at once, so the pool must hold a connection for every search call that can be in flight,
// or a counted call waits behind another's whole round trip and reaches WeChat later than it was counted.

const LATENCY_MS = 600;

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('a counted search call', () => {
  it('leaves at once: none waits for an HTTP connection (WXLOG_CONCURRENCY 1, two days read at once)', async () => {
    sim = await simulator({ now: Date.now, perDay: 20, latencyMs: LATENCY_MS, intervalMs: 10_000 });
    const dir = tempDir();
    const config = configFor(sim, dir, {
      WXLOG_CONCURRENCY: '1',
      WXLOG_LOOKBACK_DAYS: '5',
      WXLOG_CALLS_PER_MINUTE: '40',
    });
    const outcome = await pass(config, Date.now);
    expect(outcome.exitCode).toBe(0);
    const db = new BetterSqlite3(join(dir, 'wxlog.db'), { readonly: true });
    const recorded = db
      .prepare<[string], { at: number }>('SELECT at_ms AS at FROM search_requests WHERE appid = ? ORDER BY at_ms')
      .all(sim.options.appid)
      .map((r) => r.at);
    db.close();
    // Stamped by the simulator once the network's latency has passed (src/simulator/request-handler.ts).
    const arrived = [...sim.statsFor(sim.options.appid).searchArrivals].sort((a, b) => a - b);
    expect(arrived).toHaveLength(recorded.length);
    expect(recorded.length).toBeGreaterThanOrEqual(5);
    // The i-th counted call against the i-th arrival: beyond the latency, only the loopback's own time.
    const lags = arrived.map((at, i) => at - recorded[i]! - LATENCY_MS);
    expect(Math.max(...lags)).toBeLessThan(LATENCY_MS / 2);
  }, 60_000);
});
