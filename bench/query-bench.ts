import { existsSync } from 'node:fs';
import { searchMessages } from '../src/store/message-search.js';
import { Store } from '../src/store/store.js';
import BetterSqlite3 from 'better-sqlite3';
import { cstDayBounds, cstDayOf } from '../src/wechat/cst-day.js';
import { runCli, spawnNode } from './cli-process.js';
import { formatMs, median, type Figure } from './figure-table.js';

const GOAL_MS = 50;
/** Start-up of query, search and status: Node, main and the one command's modules, to the mark. */
const STARTUP_GOAL_MS = 150;
const REPEATS = 7;
const CLI_REPEATS = 11;
const SEARCH_TEXT = '请求失败';

/** A query of the bench: SQL a user would run, with a fresh parameter for each repeat. */
interface QueryCase {
  name: string;
  sql: string;
  params: (i: number) => unknown[];
}

function timed(run: () => unknown): number {
  const t0 = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function sample<T>(db: BetterSqlite3.Database, sql: string, n: number): T[] {
  return (db.prepare(sql).all(n) as { v: T }[]).map((r) => r.v);
}

/**
 * Times the queries of issue 5 on a wxlog database: in-process SQL (median of several repeats, each with
 * another traceid, openid or day), and `wxlog search` / `wxlog status` as spawned commands minus the
 * start-up of `wxlog --version`.
 */
export async function queryBench(dbPath: string, label: string): Promise<Figure[]> {
  if (!existsSync(dbPath)) throw new Error(`${dbPath} is missing`);
  // A database kept from an earlier bench may predate a migration (0002 adds the search indexes).
  Store.open(dbPath).close();
  const db = new BetterSqlite3(dbPath, { readonly: true });
  const figures: Figure[] = [];
  try {
    // Parameters picked evenly through the table, not the same hot rows every time.
    const traceids = sample<string>(
      db,
      'SELECT traceid AS v FROM log_entries WHERE id % (SELECT max(id) / ? FROM log_entries) = 0',
      REPEATS,
    );
    const openids = sample<string>(
      db,
      'SELECT openid AS v FROM log_entries WHERE id % (SELECT max(id) / ? FROM log_entries) = 0',
      REPEATS,
    );
    const newest = (db.prepare('SELECT max(timestamp) AS t FROM log_entries').get() as { t: number }).t;
    // Full days only (today is partial): the six before the newest entry's day, round robin.
    const days = Array.from({ length: 6 }, (_, k) => cstDayBounds(cstDayOf(newest - 86_400 * (k + 1))));
    const cases: QueryCase[] = [
      {
        name: 'one traceid, its messages (log_lines)',
        sql: 'SELECT * FROM log_lines WHERE traceid = ? ORDER BY timestamp, seq',
        params: (i) => [traceids[i % traceids.length]],
      },
      {
        name: 'one openid, its entries',
        sql: 'SELECT * FROM log_entries WHERE openid = ? ORDER BY timestamp',
        params: (i) => [openids[i % openids.length]],
      },
      {
        name: 'one CST day, count of entries',
        sql: 'SELECT count(*) FROM log_entries WHERE timestamp BETWEEN ? AND ?',
        params: (i) => {
          const day = days[i % days.length] ?? { begin: 0, end: 0 };
          return [day.begin, day.end];
        },
      },
    ];
    for (const c of cases) {
      const statement = db.prepare(c.sql);
      let result: unknown[] = [];
      // Once untimed with every parameter: the figure is a query on a file in the OS's cache, not a disk's
      // latency (this VM's kernel evicts idle file pages within minutes; see BENCHMARKS.md).
      for (let i = 0; i < REPEATS; i += 1) statement.raw().all(...c.params(i));
      const times = Array.from({ length: REPEATS }, (_, i) =>
        timed(() => (result = statement.raw().all(...c.params(i)))),
      );
      const ms = median(times);
      // A count shows its value, other queries how many rows the last repeat returned.
      const shown = c.sql.startsWith('SELECT count(*)')
        ? `count ${String((result[0] as unknown[] | undefined)?.[0])}`
        : `${result.length} rows`;
      figures.push({
        section: 'Queries',
        name: `${c.name} (${label})`,
        value: `${formatMs(ms)} (${shown})`,
        goal: `< ${GOAL_MS} ms`,
        pass: ms < GOAL_MS,
      });
    }
    // What `wxlog search` runs (src/store/message-search.ts): the newest 50 matches, for the phrase of the
    // goal, then for comparison (no goal) a phrase in a tenth of all messages and a request id in one.
    const request = db
      .prepare(
        "SELECT text FROM log_messages WHERE id >= (SELECT max(id) / 2 FROM log_messages) AND text LIKE 'request ok %' LIMIT 1",
      )
      .pluck()
      .get() as string | undefined;
    const requestId = request === undefined ? undefined : /\b[0-9a-f]{8}\b/.exec(request)?.[0];
    for (const [text, goal] of [
      [SEARCH_TEXT, true],
      ['onShow', false],
      ...(requestId ? [[requestId, false] as const] : []),
    ] as const) {
      let hits = 0;
      searchMessages(db, { text, limit: 50 });
      const ms = median(
        Array.from({ length: REPEATS }, () => timed(() => (hits = searchMessages(db, { text, limit: 50 }).length))),
      );
      const matches = (
        db.prepare('SELECT count(*) AS n FROM log_messages_fts WHERE log_messages_fts MATCH ?').get(`"${text}"`) as {
          n: number;
        }
      ).n;
      figures.push({
        section: 'Queries',
        name: `full text '${text}', newest 50 (${label})`,
        value: `${formatMs(ms)} (${hits} rows of ${matches} matching)`,
        goal: goal ? `< ${GOAL_MS} ms` : '',
        pass: goal ? ms < GOAL_MS : null,
      });
    }
  } finally {
    db.close();
  }

  // The commands as a user runs them. Their wall time is mostly start-up (Node and the modules: ~250 ms,
  // varying by ±30 ms from one process to the next here, more than the commands' own work), so the figure
  // is each command's own time: from the mark src/cli/main.ts sets once start-up is over, to the process's
  // exit (median of CLI_REPEATS runs). The wall time is shown beside it.
  const env = { WXLOG_DB: dbPath };
  // Bare Node to the same mark, measured just before the commands: what no CLI on this
  // Node can go below (it moved from ~75 to ~115 ms on this shared machine within one day).
  const bare: number[] = [];
  for (let i = 0; i < CLI_REPEATS; i += 1) {
    const run = await spawnNode(['-e', "performance.mark('wxlog:command')"], {}, { measureCommand: true }).done;
    if (run.startupMs !== null) bare.push(run.startupMs);
  }
  figures.push({
    section: 'Queries',
    name: "bare Node: start-up to the 'wxlog:command' mark (what no command can go below)",
    value: formatMs(median(bare)),
    goal: '',
    pass: null,
  });
  const commands = [['search', SEARCH_TEXT], ['status'], ['query', 'SELECT count(*) FROM scenes']];
  for (const args of commands) {
    const own: number[] = [];
    const wall: number[] = [];
    const startup: number[] = [];
    for (let i = 0; i < CLI_REPEATS; i += 1) {
      const run = await runCli(args, env, { measureCommand: true });
      if (run.status !== 0 || run.commandMs === null || run.startupMs === null) {
        throw new Error(`wxlog ${args.join(' ')} failed (exit ${String(run.status)}): ${run.stderr.trim()}`);
      }
      own.push(run.commandMs);
      wall.push(run.ms);
      startup.push(run.startupMs);
    }
    const ms = median(own);
    // Start-up alone: Node, main and only this command's modules (src/cli/commands/index.ts loads a
    // command when it runs; loading all of them cost every command ~0.25 s).
    const startupMs = median(startup);
    figures.push({
      section: 'Queries',
      name: `wxlog ${args[0] ?? ''}: start-up (Node and its modules, to the 'wxlog:command' mark)`,
      value: formatMs(startupMs),
      goal: `≤ ${STARTUP_GOAL_MS} ms`,
      pass: startupMs <= STARTUP_GOAL_MS,
    });
    // query's own work is not a goal of the bench (it runs whatever SQL it is given).
    if (args[0] === 'query') continue;
    figures.push({
      section: 'Queries',
      name: `wxlog ${args.join(' ')} (${label}), after start-up`,
      value: `${formatMs(ms)} (wall time with start-up ${formatMs(median(wall))})`,
      goal: `< ${GOAL_MS} ms`,
      pass: ms < GOAL_MS,
    });
  }
  return figures;
}
