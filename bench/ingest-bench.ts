import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Simulator } from '../src/simulator/simulator.js';
import { cstDayBounds, cstDayOf } from '../src/wechat/cst-day.js';
import { alternately, frozenSimulator, wxlogEnv } from './bench-env.js';
import { budgetUse } from './budget-use.js';
import { runCli, spawnNode, type CliRun } from './cli-process.js';
import { servedEntries } from '../test/helpers/served-rows.js';
import { formatMs, median, type Figure } from './figure-table.js';
import type { ReferenceOptions, ReferenceResult } from './reference-loop.js';
import type { TempDirs } from './temp-dirs.js';

/** The page sizes measured: WeChat's documented 100, and wxlog's default 1000 (a server that serves it). */
export const INGEST_PAGE_SIZES = [100, 1000] as const;
const BUDGET = 49;
const INTERVAL_MS = 100;
/** What one app's API limit delivers: 50 calls a minute of 100 entries (the documented page). */
const API_LIMIT_ENTRIES_PER_S = (50 * 100) / 60;
const RSS_GOAL_MB = 200;
/** "Flat": the peak at the largest size is at most this much above the peak at the smallest. */
const RSS_FLAT = 1.2;

const REFERENCE = fileURLToPath(new URL('./reference-process.ts', import.meta.url));

/** One size's measurements. */
export interface IngestRun {
  entries: number;
  /** The `limit` both wxlog and the reference asked for. */
  pageSize: number;
  wxlog: CliRun[];
  reference: CliRun[];
  /** The database of wxlog's last run at this size. */
  db: string;
  /** The most search calls in any sliding interval of the scaled budget (span included). */
  maxInSpan: number;
  /** Requests the reference loop sent again after the server closed their connection. */
  referenceResent: number;
}

export function perDayFor(entries: number, at: number): number {
  // The calendar stands at `at`: today is only partly over.
  const today = cstDayBounds(cstDayOf(Math.floor(at / 1000)));
  const todayShare = (Math.floor(at / 1000) - today.begin) / 86_400;
  return Math.max(1, Math.round(entries / (6 + todayShare)));
}

function runReference(sim: Simulator, db: string, at: number, pageSize: number): Promise<CliRun> {
  const options: ReferenceOptions = {
    apiBase: sim.url,
    appid: sim.options.appid,
    secret: sim.options.secret,
    db,
    pageSize,
    now: at,
  };
  return spawnNode(['--import', 'tsx', REFERENCE, JSON.stringify(options)], {}, { measureRss: true }).done;
}

function check(run: CliRun, what: string): CliRun {
  if (run.status !== 0)
    throw new Error(
      `${what} failed (exit ${String(run.status ?? run.signal)}): ${run.stderr.trim() || run.stdout.trim()}`,
    );
  return run;
}

/**
 * Exports about `entries` entries in pages of `pageSize` with the budget out of the way (49 per 100 ms,
 * simulator unlimited), as a spawned `wxlog run`, and the same data with the bare reference loop, each
 * `reps` times in alternating order, every run into a fresh database.
 */
export async function measureIngest(
  dirs: TempDirs,
  entries: number,
  reps: number,
  pageSize: number,
): Promise<IngestRun> {
  const at = Date.now();
  const sim = await frozenSimulator(at, {
    perDay: perDayFor(entries, at),
    callsPerMinute: 1_000_000_000,
    intervalMs: INTERVAL_MS,
  });
  try {
    // Lays out every day's data now, so that no run pays for generating it.
    const served = servedEntries(sim);
    const run: IngestRun = {
      entries: served,
      pageSize,
      wxlog: [],
      reference: [],
      db: '',
      maxInSpan: 0,
      referenceResent: 0,
    };
    for (let rep = 0; rep < reps; rep += 1) {
      const dir = dirs.make(`ingest-${entries}-${pageSize}`);
      const wxlog = async (): Promise<void> => {
        sim.stats.searchArrivals.length = 0;
        const db = join(dir, 'wxlog.db');
        // Only the last run's database is kept (for the queries).
        if (run.db !== '') for (const suffix of ['', '-wal', '-shm']) rmSync(run.db + suffix, { force: true });
        const result = check(
          await runCli(
            ['run'],
            wxlogEnv(sim, db, { WXLOG_CALLS_PER_MINUTE: String(BUDGET), WXLOG_PAGE_SIZE: String(pageSize) }),
            { measureRss: true },
          ),
          'wxlog run',
        );
        const stored = Number(/(\d+) new entries/.exec(result.stdout)?.[1]);
        if (stored !== served) throw new Error(`wxlog stored ${stored} entries of ${served}: ${result.stdout.trim()}`);
        run.wxlog.push(result);
        run.db = db;
        // wxlog's budget counts a request against its interval plus a margin (100 ms at this scale).
        run.maxInSpan = Math.max(
          run.maxInSpan,
          budgetUse(sim.stats.searchArrivals, BUDGET, 2 * INTERVAL_MS).maxInInterval,
        );
      };
      const reference = async (): Promise<void> => {
        const db = join(dir, 'reference.db');
        const result = check(await runReference(sim, db, at, pageSize), 'reference loop');
        const counts = JSON.parse(result.stdout) as ReferenceResult;
        if (counts.entries !== served)
          throw new Error(`the reference loop stored ${counts.entries} entries of ${served}`);
        run.reference.push(result);
        run.referenceResent += counts.resent;
        // At 1M entries a database is 2 GB: keep the disk's write-back out of the next measurement.
        for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
      };
      await alternately(rep, reference, wxlog);
    }
    return run;
  } finally {
    await sim.close();
  }
}

const mb = (kb: number | null): string => (kb === null ? '?' : `${(kb / 1024).toFixed(0)} MB`);

/** The table rows for ingest runs measured at increasing sizes. */
export function ingestFigures(runs: readonly IngestRun[]): Figure[] {
  const figures: Figure[] = [];
  for (const run of runs) {
    const size = `${Math.round(run.entries / 1000)}k entries, pages of ${run.pageSize}`;
    const wxlogMs = median(run.wxlog.map((r) => r.ms));
    const refMs = median(run.reference.map((r) => r.ms));
    const wxlogCpu = median(run.wxlog.map((r) => r.cpuMs ?? Number.NaN));
    const refCpu = median(run.reference.map((r) => r.cpuMs ?? Number.NaN));
    const ratio = wxlogMs / refMs;
    const reps = run.wxlog.length > 1 ? `median of ${run.wxlog.length}, ` : '';
    figures.push({
      section: 'Ingest',
      name: `${size}: wxlog time ÷ reference time`,
      value: `${ratio.toFixed(2)}× (${formatMs(wxlogMs)} / ${formatMs(refMs)}; ${reps}CPU ${(wxlogCpu / refCpu).toFixed(2)}×)`,
      goal: '≤ 1.30×',
      pass: ratio <= 1.3,
    });
    const perS = run.entries / (wxlogMs / 1000);
    figures.push({
      section: 'Ingest',
      name: `${size}: wxlog entries/s`,
      value: `${perS.toFixed(0)}/s = ${(perS / API_LIMIT_ENTRIES_PER_S).toFixed(0)}× the API limit's 83/s (reference ${(run.entries / (refMs / 1000)).toFixed(0)}/s${run.referenceResent > 0 ? `, ${run.referenceResent} request(s) resent` : ''})`,
      goal: '',
      pass: null,
    });
    figures.push({
      section: 'Ingest',
      name: `${size}: budget idle (most calls in any ${2 * INTERVAL_MS} ms)`,
      value: `${run.maxInSpan} of ${BUDGET}`,
      goal: `< ${BUDGET}`,
      pass: run.maxInSpan < BUDGET,
    });
    const rss = Math.max(...run.wxlog.map((r) => r.maxRssKb ?? Number.NaN));
    figures.push({
      section: 'Ingest',
      name: `${size}: wxlog peak RSS`,
      value: `${mb(rss)} (reference ${mb(Math.max(...run.reference.map((r) => r.maxRssKb ?? Number.NaN)))})`,
      goal: `≤ ${RSS_GOAL_MB} MB`,
      pass: rss <= RSS_GOAL_MB * 1024,
    });
  }
  // Flat: per page size, from the smallest size measured to the largest.
  const peak = (run: IngestRun): number => Math.max(...run.wxlog.map((r) => r.maxRssKb ?? Number.NaN));
  for (const pageSize of new Set(runs.map((r) => r.pageSize))) {
    const same = runs.filter((r) => r.pageSize === pageSize);
    const first = same[0];
    const last = same.at(-1);
    if (!first || !last || last === first) continue;
    const growth = peak(last) / peak(first);
    figures.push({
      section: 'Ingest',
      name: `peak RSS from ${Math.round(first.entries / 1000)}k to ${Math.round(last.entries / 1000)}k entries, pages of ${pageSize}`,
      value: `${growth.toFixed(2)}× (${mb(peak(first))} → ${mb(peak(last))})`,
      goal: `flat (≤ ${RSS_FLAT.toFixed(2)}×)`,
      pass: growth <= RSS_FLAT,
    });
  }
  return figures;
}
