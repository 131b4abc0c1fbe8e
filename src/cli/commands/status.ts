import type { AppConfig } from '../../config/app-config.js';
import type { Config } from '../../config/config-schema.js';
import { filterKey } from '../../config/filter-key.js';
import { APP_STATES, troubleFirst, type AppStatus } from '../../store/app-status.js';
import type { CoverageScope, DayCoverage } from '../../store/coverage-report.js';
import type { ReadStore, RunWithState } from '../../store/read-store.js';
import { notStoredMessage } from '../../store/stored-apps.js';
import { cstDayBounds, dashedCstDay, formatCst, recentCstDays } from '../../wechat/cst-day.js';
import { configHelp, commandConfig, configOptions, listedAppsForReading } from '../cli-config.js';
import { UsageError, type Command, type CommandContext } from '../command.js';
import { parseCommandArgs } from '../command-args.js';
import { openCommandStore } from '../command-store.js';
import { ExitCode } from '../exit-codes.js';
import { truncateToWidth } from '../display-width.js';
import { formatTable, type Cell } from '../table-format.js';
import { optionsHelp } from '../options-help.js';

const options = {
  ...configOptions,
  app: { type: 'string' },
  json: { type: 'boolean' },
  runs: { type: 'string' },
} as const;

const DEFAULT_RUNS = 10;
// Terminal columns of the last error in the table of apps: one line, cut short (--json has all of it).
const ERROR_WIDTH = 60;

function parseRuns(value: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`--runs: expected a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

type ShownRun = RunWithState;

function duration(run: ShownRun): string {
  if (run.finishedAt === null) return run.state;
  const seconds = Math.max(0, run.finishedAt - run.startedAt);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}

function dayJson(day: DayCoverage) {
  return {
    ...day,
    day: dashedCstDay(day.date),
    lastChecked: day.lastCheckedAt === null ? null : formatCst(day.lastCheckedAt),
  };
}

function runJson(run: ShownRun) {
  return {
    ...run,
    started: formatCst(run.startedAt),
    durationSeconds: run.finishedAt === null ? null : run.finishedAt - run.startedAt,
  };
}

function dayRow(day: DayCoverage): Cell[] {
  return [
    dashedCstDay(day.date),
    day.state,
    day.windowsComplete,
    day.windowsIncomplete,
    day.entriesStored,
    day.serverTotal,
    day.lastCheckedAt === null ? null : formatCst(day.lastCheckedAt),
  ];
}

function runRow(run: ShownRun): Cell[] {
  return [
    formatCst(run.startedAt),
    run.command,
    duration(run),
    run.exitCode,
    run.searchCalls,
    run.entriesNew,
    run.errors,
    run.message,
  ];
}

function appJson(app: AppStatus) {
  return {
    ...app,
    lastRun: app.lastRun && runJson(app.lastRun),
    days: app.days.map(dayJson),
  };
}

function oneLine(text: string | null): string | null {
  return text === null ? null : truncateToWidth(text.replace(/\s*[\r\n]+\s*/g, ' '), ERROR_WIDTH);
}

function appRow(app: AppStatus): Cell[] {
  return [
    app.appid,
    app.state,
    `${app.daysComplete}/${app.days.length}`,
    app.entriesStored,
    app.lastRun && formatCst(app.lastRun.startedAt),
    oneLine(app.lastError),
  ];
}

// "2 failing, 1 interrupted, 997 ok", in the order of the table.
function stateCounts(apps: readonly AppStatus[]): string {
  return APP_STATES.map((state) => [state, apps.filter((a) => a.state === state).length] as const)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ');
}

/** What an app's status is read against: the CST days of its lookback, newest first, and its filters' key. */
interface AppScope {
  lookbackDays: number;
  filterKey: string;
}

/**
 * Each listed app's own scope (its `lookbackDays` and `filters`); the top-level one for an app not listed, and for
 * no app (the sum over several).
 */
function appScopes(config: Config, apps: readonly AppConfig[]): (appid: string | undefined) => AppScope {
  const top: AppScope = { lookbackDays: config.lookbackDays, filterKey: filterKey(config.filters) };
  const scopes = new Map(apps.map((a) => [a.appid, { lookbackDays: a.lookbackDays, filterKey: filterKey(a.filters) }]));
  return (appid) => (appid === undefined ? undefined : scopes.get(appid)) ?? top;
}

/** The statuses of `appids`, each over its own scope: one read per distinct scope, trouble first. */
async function appStatuses(
  store: ReadStore,
  appids: readonly string[],
  scopeOf: (appid: string) => AppScope,
  nowSeconds: number,
): Promise<AppStatus[]> {
  const groups = new Map<string, AppScope & { appids: string[] }>();
  for (const appid of appids) {
    const scope = scopeOf(appid);
    const key = `${scope.lookbackDays} ${scope.filterKey}`;
    const group = groups.get(key) ?? { ...scope, appids: [] };
    group.appids.push(appid);
    groups.set(key, group);
  }
  const statuses: AppStatus[] = [];
  for (const group of groups.values()) {
    const days = recentCstDays(nowSeconds, group.lookbackDays).reverse();
    statuses.push(...(await store.appStatuses({ appids: group.appids, filterKey: group.filterKey, days, nowSeconds })));
  }
  return statuses.sort(troubleFirst);
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'coverage per CST day (windows, stored vs server total) and the last runs',
  help: `wxlog status [options]

A database of several apps: one line per app, trouble first (then the most recent run first): its
AppID, state, days complete of its lookback (6/7), entries stored over the lookback, when its last run
started (CST) and its last error, cut short. The states, in that order:
  failing      its latest run ended with exit 2, 3 or 5 (credentials, permission, a bug): act on it
  interrupted  its latest run never finished and its process no longer holds the database's lock
               (killed: SIGKILL, out of memory, a node lost); the next run continues
  incomplete   its latest run ended 1, or a day of the lookback is not complete; the next run continues
  running      a run is exporting it now
  never-run    entries or windows stored, but no run recorded
  ok           its latest run ended 0, every day of the lookback complete (or not served by WeChat)
A run is "interrupted" once the lock no longer names its process (host:pid), or names it but that
process is dead (checked by pid on the same host, by a heartbeat older than 2 minutes elsewhere). On
PostgreSQL a run is "running" while its worker holds the app's lease, "interrupted" once it does not.

A database of one app, or --app APPID (or WXLOG_APPID set): that app's day table. For each China
Standard Time day of the app's lookback (its own lookbackDays in the settings or the apps file, else
WXLOG_LOOKBACK_DAYS; newest first): whether it is complete, its coverage windows complete and
incomplete, the entries stored, the total the server last reported, and when it was last checked.
Then the last runs: when they started, how long they took (or "running", "interrupted"), their exit
code, search calls, new entries, errors and message.

A day is "complete" when every window of it holds as many entries as the server reports, "incomplete"
while some window does not (the next run continues it), "not-read" before its first run,
"unavailable" when WeChat will not serve the day (outside its retention: recorded, not asked again, and
not counted as incomplete) and "expired" when a day read before has left the lookback or the retention.
An app the file does not hold (--app, WXLOG_APPID) is an error (exit 2) that names those it holds. With
server-side filters set (WXLOG_LEVEL, …, or the app's own filters), the ledger of that filtered export.

Options:
${optionsHelp([
  ['--app APPID', "that app's day table and runs, in a database of many"],
  [
    '--json',
    'print one JSON object {days, runs, older, apps} instead: days adds up the apps\nreported, apps has each with its state, lastRun, lastError and days',
  ],
  ['--runs N', `how many recent runs to show (default ${DEFAULT_RUNS})`],
  ...configHelp,
])}`,
  async run(ctx: CommandContext) {
    const { values } = parseCommandArgs('status', ctx.argv, options, false);
    const runLimit = values.runs === undefined ? DEFAULT_RUNS : parseRuns(values.runs);
    const config = commandConfig(ctx, values, 'local');
    const target = values.app ?? (config.appid === '' ? undefined : config.appid);
    const store = await openCommandStore(config.db);
    try {
      const held = await store.storedApps();
      const missing = target === undefined ? null : notStoredMessage([target], held, store.label);
      if (missing !== null) {
        throw new UsageError(`${values.app === undefined ? 'WXLOG_APPID' : '--app'}: ${missing}`);
      }
      const scopeOf = appScopes(config, listedAppsForReading(ctx, config, 'status'));
      // One app's table is read over that app's own scope; the sum over several apps, over the top-level one.
      const { lookbackDays, filterKey: key } = scopeOf(target ?? (held.length === 1 ? held[0] : undefined));
      const scope: CoverageScope = { appid: target ?? '', filterKey: key };
      const nowSeconds = Math.floor(ctx.now() / 1000);
      const days = recentCstDays(nowSeconds, lookbackDays).reverse();
      const maxWidth = ctx.stdout.isTTY ? (ctx.stdout as { columns?: number }).columns : undefined;
      const width = { nullText: '-', ...(maxWidth === undefined ? {} : { maxWidth }) };
      const reported = target === undefined ? held : [target];

      if (!values.json && target === undefined && held.length > 1) {
        const apps = await appStatuses(store, held, scopeOf, nowSeconds);
        const keys = new Set(held.map((appid) => scopeOf(appid).filterKey));
        const lookbacks = new Set(held.map((appid) => scopeOf(appid).lookbackDays));
        const only = keys.size === 1 ? [...keys][0]! : undefined;
        const filtered =
          only === undefined ? ', each over its own filters' : only === '' ? '' : `, filtered export ${only}`;
        const over = lookbacks.size === 1 ? `the last ${[...lookbacks][0]!} CST days` : "each app's lookback";
        ctx.stdout.write(
          [
            `${held.length} apps in ${store.label}${filtered}, trouble first; days complete of ${over}:`,
            formatTable(['appid', 'state', 'days', 'stored', 'last run', 'last error'], apps.map(appRow), width),
            `${stateCounts(apps)}. An app's days and runs: wxlog status --app APPID\n`,
          ].join('\n'),
        );
        return ExitCode.Ok;
      }

      const coverage = await store.days(scope, days);
      const oldest = days.at(-1) ?? days[0] ?? '';
      const older = {
        before: dashedCstDay(oldest),
        entries: await store.entriesBefore(scope, cstDayBounds(oldest).begin),
      };
      const runs = await store.recentRuns(runLimit, target, nowSeconds);

      if (values.json) {
        const apps = await appStatuses(store, reported, scopeOf, nowSeconds);
        ctx.stdout.write(
          `${JSON.stringify({ appid: scope.appid, filterKey: scope.filterKey, days: coverage.map(dayJson), runs: runs.map(runJson), older, apps: apps.map(appJson) })}\n`,
        );
        return ExitCode.Ok;
      }
      const who = target ?? 'every app in the file';
      const filtered = scope.filterKey === '' ? '' : `, filtered export ${scope.filterKey}`;
      const out = [
        `Coverage of ${who}${filtered} (${store.label}), CST days newest first:`,
        formatTable(
          ['day', 'state', 'complete', 'incomplete', 'stored', 'server total', 'last checked'],
          coverage.map(dayRow),
          width,
        ),
      ];
      if (older.entries > 0)
        out.push(`${older.entries} older entries stored before ${older.before} (outside WeChat's retention).\n`);
      if (runLimit > 0) {
        out.push(
          runs.length === 0
            ? 'No runs yet.\n'
            : `Last runs:\n${formatTable(['started', 'command', 'duration', 'exit', 'calls', 'new', 'errors', 'message'], runs.map(runRow), width)}`,
        );
      }
      ctx.stdout.write(out.join('\n'));
      return ExitCode.Ok;
    } finally {
      await store.close();
    }
  },
};
