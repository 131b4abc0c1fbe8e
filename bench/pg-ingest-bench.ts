import { fileURLToPath } from 'node:url';
import { alternately, frozenSimulator, wxlogEnv } from './bench-env.js';
import { budgetUse } from './budget-use.js';
import { runCli, spawnNode, type CliRun } from './cli-process.js';
import { formatMs, median, type Figure } from './figure-table.js';
import { perDayFor } from './ingest-bench.js';
import type { PgReferenceOptions } from './pg-reference-loop.js';
import type { BenchPostgres } from './pg-server.js';
import type { ReferenceResult } from './reference-pages.js';
import { servedEntries } from '../test/helpers/served-rows.js';

// The ingest into PostgreSQL (issue 12): `wxlog run` with WXLOG_DB=postgres://… against the bare loop of
// bench/pg-reference-loop.ts, both into fresh databases of the same server, from the same simulator, as
// bench/ingest-bench.ts measures SQLite's: the budget out of the way (49 per 100 ms, the simulator
// unlimited), wxlog's default page size, several runs in alternating order, medians.

const PAGE_SIZE = 1000;
const BUDGET = 49;
const INTERVAL_MS = 100;
const GOAL = 1.5;
const API_LIMIT_ENTRIES_PER_S = (50 * 100) / 60;

const REFERENCE = fileURLToPath(new URL('./pg-reference-process.ts', import.meta.url));

function step(text: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}]   ${text}\n`);
}

function check(run: CliRun, what: string): CliRun {
  if (run.status !== 0)
    throw new Error(
      `${what} failed (exit ${String(run.status ?? run.signal)}): ${run.stderr.trim() || run.stdout.trim()}`,
    );
  return run;
}

interface Stored {
  entries: number;
  messages: number;
}

async function stored(pg: BenchPostgres, db: string): Promise<Stored> {
  const [row] = await pg.query<Stored>(
    db,
    'SELECT (SELECT count(*) FROM log_entries) AS entries, (SELECT count(*) FROM log_messages) AS messages',
  );
  return row ?? { entries: 0, messages: 0 };
}

/** Exports about `entries` entries into PostgreSQL with wxlog and with the reference, `reps` times each. */
export async function pgIngestBench(pg: BenchPostgres, entries: number, reps: number): Promise<Figure[]> {
  const at = Date.now();
  const sim = await frozenSimulator(at, {
    perDay: perDayFor(entries, at),
    callsPerMinute: 1_000_000_000,
    intervalMs: INTERVAL_MS,
  });
  const wxlogRuns: CliRun[] = [];
  const referenceRuns: CliRun[] = [];
  let maxInSpan = 0;
  let resent = 0;
  let served = 0;
  let messages: number | undefined;
  try {
    // Lays out every day's data now, so that no run pays for generating it.
    served = servedEntries(sim);
    /** One measured run into a fresh database, which is counted, compared and dropped. */
    const measured = async (what: string, run: (db: string) => Promise<CliRun>): Promise<CliRun> => {
      const db = await pg.createDatabase('wxlog_bench_ingest');
      try {
        // No other database's pages waiting to be written during the measurement.
        await pg.query(pg.url, 'CHECKPOINT');
        const result = await run(db);
        const counts = await stored(pg, db);
        if (counts.entries !== served) throw new Error(`${what} stored ${counts.entries} entries of ${served}`);
        // Both leave the same rows: as many messages as the other.
        messages ??= counts.messages;
        if (counts.messages !== messages)
          throw new Error(`${what} stored ${counts.messages} messages, the other ${messages}`);
        return result;
      } finally {
        await pg.dropDatabase(db);
      }
    };
    const wxlog = async (): Promise<void> => {
      sim.stats.searchArrivals.length = 0;
      const result = await measured('wxlog', async (db) =>
        check(
          await runCli(
            ['run'],
            wxlogEnv(sim, db, { WXLOG_CALLS_PER_MINUTE: String(BUDGET), WXLOG_PAGE_SIZE: String(PAGE_SIZE) }),
            { measureRss: true },
          ),
          'wxlog run',
        ),
      );
      wxlogRuns.push(result);
      maxInSpan = Math.max(maxInSpan, budgetUse(sim.stats.searchArrivals, BUDGET, 2 * INTERVAL_MS).maxInInterval);
    };
    const reference = async (): Promise<void> => {
      const result = await measured('the reference loop', async (db) => {
        const options: PgReferenceOptions = {
          apiBase: sim.url,
          appid: sim.options.appid,
          secret: sim.options.secret,
          db,
          pageSize: PAGE_SIZE,
          now: at,
        };
        return check(
          await spawnNode(['--import', 'tsx', REFERENCE, JSON.stringify(options)], {}, { measureRss: true }).done,
          'PostgreSQL reference loop',
        );
      });
      resent += (JSON.parse(result.stdout) as ReferenceResult).resent;
      referenceRuns.push(result);
    };
    for (let rep = 0; rep < reps; rep += 1) {
      step(`ingest ${served} entries into PostgreSQL (${rep + 1} of ${reps})`);
      await alternately(rep, reference, wxlog);
    }
  } finally {
    await sim.close();
  }

  const size = `${Math.round(served / 1000)}k entries, pages of ${PAGE_SIZE}`;
  const wxlogMs = median(wxlogRuns.map((r) => r.ms));
  const refMs = median(referenceRuns.map((r) => r.ms));
  const cpu = (runs: CliRun[]): number => median(runs.map((r) => r.cpuMs ?? Number.NaN));
  const ratio = wxlogMs / refMs;
  const mb = (runs: CliRun[]): string =>
    `${(Math.max(...runs.map((r) => r.maxRssKb ?? Number.NaN)) / 1024).toFixed(0)} MB`;
  const perS = served / (wxlogMs / 1000);
  return [
    {
      section: 'PG ingest',
      name: `${size}: wxlog time ÷ reference time`,
      value:
        `${ratio.toFixed(2)}× (${formatMs(wxlogMs)} / ${formatMs(refMs)}; ` +
        `${reps > 2 ? `median of ${reps}, ` : reps === 2 ? 'mean of 2, ' : ''}CPU of the client ${(cpu(wxlogRuns) / cpu(referenceRuns)).toFixed(2)}×)`,
      goal: `≤ ${GOAL.toFixed(2)}×`,
      pass: ratio <= GOAL,
    },
    {
      section: 'PG ingest',
      name: `${size}: wxlog entries/s`,
      value:
        `${perS.toFixed(0)}/s = ${(perS / API_LIMIT_ENTRIES_PER_S).toFixed(0)}× the API limit's 83/s ` +
        `(reference ${(served / (refMs / 1000)).toFixed(0)}/s${resent > 0 ? `, ${resent} request(s) resent` : ''})`,
      goal: '',
      pass: null,
    },
    {
      section: 'PG ingest',
      name: `${size}: budget idle (most calls in any ${2 * INTERVAL_MS} ms)`,
      value: `${maxInSpan} of ${BUDGET}`,
      goal: `< ${BUDGET}`,
      pass: maxInSpan < BUDGET,
    },
    {
      section: 'PG ingest',
      name: `${size}: wxlog peak RSS`,
      value: `${mb(wxlogRuns)} (reference ${mb(referenceRuns)})`,
      goal: '',
      pass: null,
    },
  ];
}
