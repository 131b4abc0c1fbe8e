import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/simulator.js';
import { exactProblems } from '../helpers/served-rows.js';
import { simulator } from '../helpers/export-fixture.js';
import { tempDir } from '../helpers/temp-dir.js';
import { runCli, simulatorEnv } from './run-cli.js';

// `wxlog run` as a subprocess against a server that does everything the documents leave open at once.

let sim: Simulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('wxlog run against a server unlike the document (subprocess)', () => {
  it('exits 0 with every served day complete, exact, the refused days unavailable in status', async () => {
    sim = await simulator({
      // The spawned wxlog reads the real clock: the simulator's calendar stands still at the real now.
      now: Date.now,
      perDay: 500,
      order: 'shuffled',
      endtime: 'exclusive',
      servedDays: 3,
      dataDays: 7,
      maxOffset: 200,
      maxPageSize: 300,
      pageSizeCapMode: 'reject',
      shapeDrift: { objectMsg: 0.1, stringMsg: 0.1, numericStrings: 0.1, unknownFields: 0.1, missingTimestamp: 0.02 },
      callsPerMinute: 400,
    });
    const dir = tempDir();
    // The default page size (1000), which this server refuses.
    const env = simulatorEnv(sim, dir, { WXLOG_CALLS_PER_MINUTE: '49', WXLOG_PAGE_SIZE: '1000' });
    const run = await runCli(['run'], env);
    expect(run.stderr).not.toMatch(/\bERROR\b/);
    expect(run.status).toBe(0);
    expect(run.stdout + run.stderr).toMatch(/complete: 7 days \(4 not served by WeChat\)/);
    expect(run.stdout + run.stderr).toMatch(/of an undocumented shape/);
    expect(exactProblems(`${dir}/wxlog.db`, sim)).toEqual([]);

    const status = await runCli(['status', '--json'], env);
    expect(status.status).toBe(0);
    const days = (JSON.parse(status.stdout) as { days: { date: string; state: string }[] }).days;
    const served = new Set(sim.retentionDays());
    expect(days.map((d) => [d.date, d.state])).toEqual(
      days.map((d) => [d.date, served.has(d.date) ? 'complete' : 'unavailable']),
    );

    // Again: nothing new, one call per served day and none for the refused ones.
    const before = sim.stats.searchArrivals.length;
    const again = await runCli(['run'], env);
    expect(again.status).toBe(0);
    expect(sim.stats.searchArrivals.length - before).toBe(3);
    const db = new BetterSqlite3(`${dir}/wxlog.db`, { readonly: true });
    const runs = db.prepare('SELECT exit_code AS code, unexpected_shape AS odd FROM runs ORDER BY id').all() as {
      code: number;
      odd: number;
    }[];
    db.close();
    expect(runs.map((r) => r.code)).toEqual([0, 0]);
    expect(runs[0]?.odd).toBeGreaterThan(0);
  });
});
