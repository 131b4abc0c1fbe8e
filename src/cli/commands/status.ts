import { filterKey } from '../../config/filter-key.js';
import { CoverageReport, type CoverageScope, type DayCoverage } from '../../store/coverage-report.js';
import { latestRuns, type RunSummary } from '../../store/run-history.js';
import { cstDayBounds, dashedCstDay, formatCst, recentCstDays } from '../../wechat/cst-day.js';
import { configHelp, commandConfig, configOptions } from '../cli-config.js';
import { UsageError, type Command, type CommandContext } from '../command.js';
import { parseCommandArgs } from '../command-args.js';
import { openExistingDatabase } from '../existing-database.js';
import { ExitCode } from '../exit-codes.js';
import { formatTable, type Cell } from '../table-format.js';
import { optionsHelp } from '../options-help.js';

const options = {
  ...configOptions,
  json: { type: 'boolean' },
  runs: { type: 'string' },
} as const;

const DEFAULT_RUNS = 10;

function parseRuns(value: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`--runs: expected a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

function duration(run: RunSummary): string {
  if (run.finishedAt === null) return 'running';
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

function runJson(run: RunSummary) {
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

function runRow(run: RunSummary): Cell[] {
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

export const statusCommand: Command = {
  name: 'status',
  summary: 'coverage per CST day (windows, stored vs server total) and the last runs',
  help: `wxlog status [options]

For each China Standard Time day of the lookback (WXLOG_LOOKBACK_DAYS, newest first): whether it is
complete, its coverage windows complete and incomplete, the entries stored, the total the server last
reported, and when it was last checked. Then the last runs: when they started, how long they took,
their exit code, search calls, new entries, errors and message.

A day is "complete" when every window of it holds as many entries as the server reports, "incomplete"
while some window does not (the next run continues it), "not-read" before its first run,
"unavailable" when WeChat will not serve the day (outside its retention: recorded, not asked again, and
not counted as incomplete) and "expired" when a day read before has left the lookback or the retention.
With WXLOG_APPID set only that app is reported, else every app in the file; with server-side filters
(WXLOG_LEVEL, …) set, the ledger of that filtered export.

Options:
${optionsHelp([
  ['--json', 'print one JSON object {days: [...], runs: [...], older: {...}} instead'],
  ['--runs N', `how many recent runs to show (default ${DEFAULT_RUNS})`],
  ...configHelp,
])}`,
  async run(ctx: CommandContext) {
    const { values } = parseCommandArgs('status', ctx.argv, options, false);
    const runLimit = values.runs === undefined ? DEFAULT_RUNS : parseRuns(values.runs);
    const config = commandConfig(ctx, values, 'local');
    const db = openExistingDatabase(config.db, { readonly: true });
    try {
      const report = new CoverageReport(db);
      const scope: CoverageScope = { appid: config.appid, filterKey: filterKey(config.filters) };
      const nowSeconds = Math.floor(ctx.now() / 1000);
      const days = recentCstDays(nowSeconds, config.lookbackDays).reverse();
      const coverage = report.days(scope, days);
      const oldest = days.at(-1) ?? days[0] ?? '';
      const older = { before: dashedCstDay(oldest), entries: report.entriesBefore(scope, cstDayBounds(oldest).begin) };
      const runs = latestRuns(db, runLimit);

      if (values.json) {
        ctx.stdout.write(
          `${JSON.stringify({ appid: config.appid, filterKey: scope.filterKey, days: coverage.map(dayJson), runs: runs.map(runJson), older })}\n`,
        );
        return ExitCode.Ok;
      }
      const maxWidth = ctx.stdout.isTTY ? (ctx.stdout as { columns?: number }).columns : undefined;
      const width = { nullText: '-', ...(maxWidth === undefined ? {} : { maxWidth }) };
      const who = config.appid === '' ? 'every app in the file' : config.appid;
      const filtered = scope.filterKey === '' ? '' : `, filtered export ${scope.filterKey}`;
      const out = [
        `Coverage of ${who}${filtered} (${config.db}), CST days newest first:`,
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
      db.close();
    }
  },
};
