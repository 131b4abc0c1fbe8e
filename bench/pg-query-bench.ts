import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { pgSearchMessages } from '../src/store/postgres/pg-message-search.js';
import { PgStore } from '../src/store/postgres/pg-store.js';
import { cstDayBounds, cstDayOf } from '../src/wechat/cst-day.js';
import { readServedEntry } from '../src/wechat/served-entry.js';
import { MIDDAY_CST, frozenSimulator } from './bench-env.js';
import { CLI, runCli, spawnNode, type CliRun } from './cli-process.js';
import { formatMs, median, type Figure } from './figure-table.js';
import { perDayFor } from './ingest-bench.js';
import type { BenchPostgres } from './pg-server.js';

// The queries of issue 12 on 1M entries in PostgreSQL, as the commands run them: `wxlog query` (one traceid,
// one openid, a CST day's count) and `wxlog search 请求失败` (newest 50) with WXLOG_DB=postgres://…, each
// timed after start-up as bench/query-bench.ts times SQLite's (from the mark src/cli/main.ts sets once Node
// and the command's modules are loaded, to the exit: the connection to PostgreSQL is the command's work).
//
// The database: what the simulator serves one app over 7 days at about 1M entries (seed 42, its calendar at
// 12:00 CST on 2026-11-22), written by wxlog's own store (PgStore.savePage) in pages of 5,000, then VACUUM
// ANALYZE, as autovacuum would leave a database that has stopped growing. It is kept in the bench's cluster
// (bench/.data/postgres) under a comment naming how it was filled, and filled again when that changes.

const GOAL_MS = 50;
const REPEATS = 7;
const CLI_REPEATS = 11;
const SEARCH_TEXT = '请求失败';
const BATCH = 5000;
const SEED = 42;

function step(text: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}]   ${text}\n`);
}

/** One database per size asked for (--quick asks for less): wxlog_bench_1m, wxlog_bench_100k. */
function databaseName(entries: number): string {
  return entries >= 1_000_000 ? `wxlog_bench_${entries / 1_000_000}m` : `wxlog_bench_${Math.round(entries / 1000)}k`;
}

function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** What the filled database holds, as its comment says; a new fill for anything else. */
function fillKey(entries: number, perDay: number): string {
  return `wxlog bench fill v3: seed ${SEED}, ${perDay} a day at ${new Date(MIDDAY_CST).toISOString()}, ${entries} entries, pages of ${BATCH}`;
}

/**
 * Writes the simulator's ~`entries` entries into a new database `name` with wxlog's store, two days at a
 * time. The secondary indexes of log_entries and log_messages (the trigram one among them) are dropped
 * first and built again once the rows are in, exactly as the migration defines them: building an index
 * over a million rows at once is several times faster than keeping it up row by row, and leaves the same
 * schema. The keys the writer's conflict handling and foreign keys need stay in place throughout.
 */
async function fill(pgs: BenchPostgres, name: string, entries: number): Promise<void> {
  const url = databaseUrl(pgs.url, name);
  const perDay = perDayFor(entries, MIDDAY_CST);
  const sim = await frozenSimulator(MIDDAY_CST, { perDay, seed: SEED });
  const started = performance.now();
  let written = 0;
  try {
    await pgs.query(pgs.url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await pgs.query(pgs.url, `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8'`);
    const store = await PgStore.open(url, { poolSize: 2 });
    const indexes = await pgs.query<{ name: string; definition: string }>(
      url,
      `SELECT indexname AS name, indexdef AS definition FROM pg_indexes
       WHERE schemaname = 'public' AND tablename IN ('log_entries', 'log_messages')
         AND indexname NOT IN (SELECT conname FROM pg_constraint)`,
    );
    try {
      for (const index of indexes) await pgs.query(url, `DROP INDEX ${index.name}`);
      const appid = sim.options.appid;
      const days = [...sim.retentionDays()];
      const lane = async (): Promise<void> => {
        for (let day = days.shift(); day !== undefined; day = days.shift()) {
          // As served: through JSON, read by the exporter's lenient reader.
          const list = (JSON.parse(JSON.stringify(sim.entriesForDay(day))) as unknown[]).map(readServedEntry);
          for (let i = 0; i < list.length; i += BATCH) {
            await store.savePage(appid, '', list.slice(i, i + BATCH), Math.floor(Date.now() / 1000));
            written += Math.min(BATCH, list.length - i);
          }
          step(`filled ${written} entries in ${formatMs(performance.now() - started)}`);
        }
      };
      await Promise.all([lane(), lane()]);
    } finally {
      await store.close();
    }
    for (const index of indexes) {
      // pg_indexes writes a partitioned table's index `ON ONLY` the parent (no partition's index, invalid).
      const definition = index.definition.replace(' ON ONLY ', ' ON ');
      await pgs.query(url, `SET maintenance_work_mem = '256MB'; ${definition}`);
      step(`built ${index.name} in ${formatMs(performance.now() - started)}`);
    }
    const [invalid] = await pgs.query<{ n: number }>(url, 'SELECT count(*) AS n FROM pg_index WHERE NOT indisvalid');
    if (invalid?.n !== 0) throw new Error(`${invalid?.n} indexes of ${name} are not valid after the fill`);
    await pgs.query(url, 'VACUUM ANALYZE');
    await pgs.query(pgs.url, `COMMENT ON DATABASE ${name} IS '${fillKey(written, perDay)}'`);
    step(`filled and vacuumed in ${formatMs(performance.now() - started)}`);
  } finally {
    await sim.close();
  }
}

/** The 1M-entry database (filled now unless the kept cluster holds it), as its URL and entry count. */
async function queryDatabase(pgs: BenchPostgres, entries: number): Promise<{ url: string; entries: number }> {
  const name = databaseName(entries);
  const url = databaseUrl(pgs.url, name);
  const perDay = perDayFor(entries, MIDDAY_CST);
  const [kept] = await pgs.query<{ comment: string | null }>(
    pgs.url,
    `SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1`,
    [name],
  );
  const stored = async (): Promise<number> =>
    (await pgs.query<{ n: number }>(url, 'SELECT count(*) AS n FROM log_entries'))[0]?.n ?? 0;
  if (kept?.comment) {
    const n = await stored();
    if (kept.comment === fillKey(n, perDay)) {
      step(`the kept ${n}-entry database (bench/.data/postgres)`);
      // A database kept from an earlier bench may predate a migration.
      await (await PgStore.open(url, { poolSize: 1 })).close();
      return { url, entries: n };
    }
  }
  step(`filling a database of about ${entries} entries (kept in bench/.data/postgres for the next runs)`);
  await fill(pgs, name, entries);
  return { url, entries: await stored() };
}

interface QueryCase {
  name: string;
  /** The SQL of `wxlog query` for the i-th repeat (literal values: the command takes SQL only). */
  sql: (i: number) => string;
}

/** Runs `wxlog …args`, which must succeed; with `measure`, its time after start-up too. */
async function timedCli(args: string[], env: Record<string, string>, measure: boolean): Promise<CliRun> {
  const run = await runCli(args, env, measure ? { measureCommand: true } : {});
  if (run.status !== 0 || (measure && run.commandMs === null))
    throw new Error(`wxlog ${args.join(' ')} failed (exit ${String(run.status)}): ${run.stderr.trim()}`);
  return run;
}

/**
 * Two parts of the floor every command on PostgreSQL pays after the mark, measured apart: importing the read
 * store's chunk of dist/cli/ (pg and wxlog's PostgreSQL modules) in a fresh Node that has loaded `wxlog query`'s
 * modules, as the command has at the mark; and a new session's start (connect, then `SELECT 1`) from a process
 * that has pg loaded already.
 */
async function floorParts(url: string): Promise<Figure[]> {
  const chunk = (prefix: string): string => {
    const name = readdirSync(dirname(CLI)).find((f) => f.startsWith(`${prefix}-`) && f.endsWith('.js'));
    if (name === undefined) throw new Error(`no ${prefix} chunk in ${dirname(CLI)}: build first`);
    return JSON.stringify(pathToFileURL(join(dirname(CLI), name)).href);
  };
  // As in `wxlog query`: its command's modules loaded first (before the mark), then the store's.
  const script =
    `await import(${chunk('query')}); const t = performance.now(); await import(${chunk('pg-read-store')}); ` +
    'console.log(performance.now() - t)';
  const loads: number[] = [];
  const sessions: number[] = [];
  for (let i = 0; i < CLI_REPEATS; i += 1) {
    const run = await spawnNode(['--input-type=module', '-e', script], {}).done;
    loads.push(Number(run.stdout.trim()));
    const t0 = performance.now();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('SELECT 1');
    sessions.push(performance.now() - t0);
    await client.end();
  }
  const row = (name: string, ms: number): Figure => ({
    section: 'PG queries',
    name: `the floor's parts: ${name}`,
    value: formatMs(ms),
    goal: '',
    pass: null,
  });
  return [
    row('importing the PostgreSQL read store, pg among it, once the command is loaded', median(loads)),
    row('a new session (connect, SELECT 1) from a process with pg loaded', median(sessions)),
  ];
}

const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/** Fills (or reuses) the database, then times the commands on it. */
export async function pgQueryBench(pgs: BenchPostgres, entries: number): Promise<Figure[]> {
  const db = await queryDatabase(pgs, entries);
  const label = `${Math.round(db.entries / 1000)}k entries`;
  const figures: Figure[] = [];
  const pool = new pg.Pool({ connectionString: db.url, max: 1 });
  // An idle client ended by the server's shutdown must not crash the bench (and hide why it stopped).
  pool.on('error', () => undefined);
  try {
    const sample = async (column: string): Promise<string[]> =>
      (
        await pool.query<{ v: string }>(
          `SELECT ${column} AS v FROM log_entries WHERE id % (SELECT max(id) / $1 FROM log_entries) = 0 LIMIT $1`,
          [REPEATS],
        )
      ).rows.map((r) => r.v);
    // Parameters picked evenly through the table, not the same hot rows every time.
    const traceids = await sample('traceid');
    const openids = await sample('openid');
    const newest = Number((await pool.query<{ t: string }>('SELECT max(timestamp) AS t FROM log_entries')).rows[0]?.t);
    // Full days only (today is partial): the six before the newest entry's day, round robin.
    const days = Array.from({ length: 6 }, (_, k) => cstDayBounds(cstDayOf(newest - 86_400 * (k + 1))));
    const at = <T>(list: readonly T[], i: number): T => list[i % list.length]!;
    const cases: QueryCase[] = [
      {
        name: 'one traceid, its messages (log_lines)',
        sql: (i) => `SELECT * FROM log_lines WHERE traceid = ${literal(at(traceids, i))} ORDER BY timestamp, seq`,
      },
      {
        name: 'one openid, its entries',
        sql: (i) => `SELECT * FROM log_entries WHERE openid = ${literal(at(openids, i))} ORDER BY timestamp`,
      },
      {
        name: 'one CST day, count of entries',
        sql: (i) => {
          const day = at(days, i);
          return `SELECT count(*) FROM log_entries WHERE timestamp BETWEEN ${day.begin} AND ${day.end}`;
        },
      },
    ];
    const env = { WXLOG_DB: db.url };
    // Bare Node to the same mark, just before the commands: what no command can go below.
    const bare: number[] = [];
    for (let i = 0; i < CLI_REPEATS; i += 1) {
      const run = await spawnNode(['-e', "performance.mark('wxlog:command')"], {}, { measureCommand: true }).done;
      if (run.startupMs !== null) bare.push(run.startupMs);
    }
    interface Command {
      name: string;
      args: (i: number) => string[];
      sql?: (i: number) => string;
      goal: boolean;
    }
    const commands: Command[] = [
      ...cases.map((c) => ({
        name: `wxlog query: ${c.name}`,
        args: (i: number) => ['query', c.sql(i)],
        sql: c.sql,
        goal: true,
      })),
      { name: `wxlog search ${SEARCH_TEXT} (newest 50)`, args: () => ['search', SEARCH_TEXT], goal: true },
      // What every command on PostgreSQL pays before its own SQL: loading the pg driver, connecting.
      {
        name: 'wxlog query: SELECT 1 (the floor)',
        args: () => ['query', 'SELECT 1'],
        sql: () => 'SELECT 1',
        goal: false,
      },
    ];
    // Untimed first, each command with every parameter, and the SQL alone on an open connection.
    const measured: {
      command: Command;
      result: string;
      sqlMs: number;
      firstMs: number;
      own: number[];
      wall: number[];
    }[] = [];
    for (const command of commands) {
      // Once untimed with every parameter: the figure is a query on pages in PostgreSQL's or the OS's cache
      // (this VM's kernel evicts idle file pages within minutes; see BENCHMARKS.md).
      let printed = '';
      for (let i = 0; i < REPEATS; i += 1) printed = (await timedCli(command.args(i), env, false)).stdout;
      // The SQL alone on an open connection, for comparison (no goal), and what it returned the last time.
      let result = '';
      const times: number[] = [];
      if (command.sql) {
        const sql = command.sql;
        for (let i = 0; i < REPEATS; i += 1) {
          const t0 = performance.now();
          const { rows } = await pool.query<Record<string, unknown>>(sql(i));
          times.push(performance.now() - t0);
          result = sql(i).startsWith('SELECT count(*)') ? `count ${String(rows[0]?.['count'])}` : `${rows.length} rows`;
        }
      } else {
        const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM log_messages WHERE text ILIKE $1', [
          `%${SEARCH_TEXT}%`,
        ]);
        result = `${printed.split('\n').filter((l) => l !== '').length} lines of ${rows[0]?.n ?? '?'} matching`;
        // The command's own query (src/store/postgres/pg-message-search.ts).
        for (let i = 0; i < REPEATS; i += 1) {
          const t0 = performance.now();
          await pgSearchMessages(pool, { text: SEARCH_TEXT, limit: 50 });
          times.push(performance.now() - t0);
        }
      }
      // The same as a new connection's first statement: PostgreSQL's new backend reads the catalogs it needs.
      const first: number[] = [];
      for (let i = 0; i < REPEATS; i += 1) {
        // One connection, made before the clock starts and used by what is timed.
        const fresh = new pg.Pool({ connectionString: db.url, max: 1 });
        (await fresh.connect()).release();
        const t0 = performance.now();
        if (command.sql) await fresh.query(command.sql(i));
        else await pgSearchMessages(fresh, { text: SEARCH_TEXT, limit: 50 });
        first.push(performance.now() - t0);
        await fresh.end();
      }
      measured.push({ command, result, sqlMs: median(times), firstMs: median(first), own: [], wall: [] });
    }
    // Then timed, the commands taking turns: a slow spell of this shared machine falls on all of them alike,
    // not on whichever command it met.
    for (let i = 0; i < CLI_REPEATS; i += 1) {
      for (const m of measured) {
        const run = await timedCli(m.command.args(i), env, true);
        m.own.push(run.commandMs ?? Number.NaN);
        m.wall.push(run.ms);
      }
    }
    for (const { command, result, sqlMs, firstMs, own, wall } of measured) {
      const ms = median(own);
      figures.push({
        section: 'PG queries',
        name: `${command.name}${command.goal ? ` (${label})` : ''}, after start-up`,
        value:
          `${formatMs(ms)} (${result}; the SQL alone ${formatMs(sqlMs)}, ${formatMs(firstMs)} as a new connection's first; ` +
          `wall time with start-up ${formatMs(median(wall))})`,
        goal: command.goal ? `< ${GOAL_MS} ms` : '',
        pass: command.goal ? ms < GOAL_MS : null,
      });
    }
    figures.push(...(await floorParts(db.url)));
    figures.push({
      section: 'PG queries',
      name: "bare Node: start-up to the 'wxlog:command' mark (what no command can go below)",
      value: formatMs(median(bare)),
      goal: '',
      pass: null,
    });
  } finally {
    await pool.end();
  }
  return figures;
}
