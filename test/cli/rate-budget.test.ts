import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { expectExact } from '../helpers/exact.js';
import { tempDir } from '../helpers/temp-dir.js';
import { CLI, runCli, simulatorEnv } from './run-cli.js';
import { simulator } from '../helpers/export-fixture.js';

// The exporter runs as a subprocess, as in production: the simulator's arrival times are then not
// delayed by the exporter's own work on a shared event loop. `npm test` runs this file on its own, after
// the rest: on two busy cores the simulator's process can be descheduled for longer than the budget's
// safety margin (100 ms at this scaled-down interval), and its arrival times then measure the machine.
let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const BUDGET = 10;
const INTERVAL = 1000;

function envFor(s: Simulator, dir: string): Record<string, string> {
  return simulatorEnv(s, dir, { WXLOG_CALLS_PER_MINUTE: String(BUDGET) });
}

describe('the rate budget across processes', () => {
  it('two runs in turn on one database never exceed the budget in any sliding interval', async () => {
    // The calendar stands still, so that the final check compares with what the runs could read.
    sim = await simulator({ perDay: 500, intervalMs: INTERVAL, seed: 9, now: Date.now });
    const s = sim;
    const dir = tempDir();
    const env = envFor(s, dir);
    // The first run is killed as soon as it has used a full budget; the second starts at once.
    const first = spawn(process.execPath, [CLI, 'run'], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: 'ignore',
    });
    const killed = new Promise<void>((resolve) => first.on('exit', () => resolve()));
    while (s.stats.searchArrivals.length < BUDGET + 2) await new Promise((r) => setTimeout(r, 10));
    first.kill('SIGKILL');
    await killed;
    const second = await runCli(['run'], env);
    expect(second.status).toBe(0);
    expectExact(join(dir, 'wxlog.db'), s);
    expect(s.maxSearchesInAnyInterval(INTERVAL)).toBeLessThanOrEqual(BUDGET);
    expect(s.stats.searchRateLimited).toBe(0);
  });

  it('uses the budget while work remains', async () => {
    sim = await startSimulator({ perDay: 500, intervalMs: INTERVAL, seed: 10 });
    const result = await runCli(['run'], envFor(sim, tempDir()));
    expect(result.status).toBe(0);
    const arrivals = sim.stats.searchArrivals;
    const n = arrivals.length;
    expect(n).toBeGreaterThan(3 * BUDGET);
    expect(sim.maxSearchesInAnyInterval(INTERVAL)).toBe(BUDGET);
    // n requests at BUDGET per sliding interval need ceil(n / BUDGET) - 1 intervals from the first to the
    // last at the very least; wxlog counts each send for the interval plus a margin (200 ms at this interval,
    // src/export/rate-budget.ts), so its best is that many spans of 1.2 s.
    const ideal = (Math.ceil(n / BUDGET) - 1) * (INTERVAL + 200);
    const actual = (arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0);
    expect(ideal / actual).toBeGreaterThanOrEqual(0.9);
  });
});
