import { afterEach, describe, expect, inject, it } from 'vitest';
import type { AppConfig } from '../../src/config/app-config.js';
import { exportPass, type PassOptions } from '../../src/export/export-pass.js';
import { sharedClock } from '../../src/export/shared-clock.js';
import { silentLogger } from '../../src/log/logger.js';
import type { Simulator } from '../../src/simulator/simulator.js';
import { clockFrom, fastClient, MIDDAY_CST, simulator } from '../helpers/export-fixture.js';
import { pgExactProblems } from '../helpers/pg-rows.js';
import { createTestDatabase } from '../helpers/postgres-server.js';

// Workers on machines whose clocks differ share one app's send times in PostgreSQL (docs/postgres.md, "Rate
// budget"). Counted by each one's own clock, a worker 30 s behind recorded sends that looked 30 s old to the
// next one, which then took a whole interval's calls at once. Counted on the database's clock, they agree.

const INTERVAL_MS = 1000;
const CALLS = 5;

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function options(s: Simulator, db: string, app: AppConfig, host: string, now: () => number): PassOptions {
  return {
    db,
    apiBase: s.url,
    rateIntervalMs: INTERVAL_MS,
    concurrency: 1,
    apps: [app],
    command: 'run',
    worker: { pid: 1, hostname: host, isAlive: () => true },
    logger: silentLogger,
    now,
    client: fastClient,
  };
}

describe("the rate budget's clock on PostgreSQL", () => {
  it("is the database's: a worker 30 s behind, then one on time, keep one app within its budget", async () => {
    const calendar = clockFrom(MIDDAY_CST);
    sim = await simulator({ now: calendar, appCount: 1, perDay: 30 });
    const db = await createTestDatabase(inject('postgresUrl'), 'wxlog_shared_clock');
    const [served] = sim.apps();
    const app: AppConfig = {
      appid: served!.appid,
      secret: served!.secret,
      tokenMode: 'stable',
      callsPerMinute: CALLS,
      lookbackDays: 7,
      pageSize: 100,
      filters: {},
    };
    // One pass right after the other, as when a worker stops and another takes the app over.
    const behind = await exportPass(options(sim, db, app, 'host-a', () => calendar() - 30_000));
    expect(behind.exitCode).toBe(0);
    const onTime = await exportPass(options(sim, db, app, 'host-b', calendar));
    expect(onTime.exitCode).toBe(0);
    expect(await pgExactProblems(db, sim, app.appid)).toEqual([]);
    // Arrivals as WeChat counts them, in the interval less a margin for this busy process's own lag.
    expect(sim.statsFor(app.appid).searchArrivals.length).toBeGreaterThan(2 * CALLS);
    expect(sim.maxSearchesInAnyInterval(INTERVAL_MS - 300, app.appid)).toBeLessThanOrEqual(CALLS);
  }, 60_000);

  it("moves this process's clock by the database's offset, measured over the shortest round trip", async () => {
    let local = 1_000;
    const rtts = [40, 4, 20];
    const clock = await sharedClock(
      () => {
        // The database reads 5,000 ms ahead, in the middle of each round trip.
        const rtt = rtts.shift()!;
        local += rtt / 2;
        const db = local + 5_000;
        local += rtt / 2;
        return Promise.resolve(db);
      },
      () => local,
    );
    expect(clock() - local).toBe(5_000);
  });
});
