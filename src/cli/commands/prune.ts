import type { AppConfig } from '../../config/app-config.js';
import type { Config } from '../../config/config-schema.js';
import type { PruneCounts } from '../../store/prune.js';
import { DatabaseUnavailableError } from '../../store/read-store.js';
import { addCstDays, cstDayBounds, cstDayOf, dashedCstDay, formatCst } from '../../wechat/cst-day.js';
import { configHelp, commandConfig, configOptions, listedAppsForReading } from '../cli-config.js';
import { UsageError, type Command, type CommandContext } from '../command.js';
import { parseCommandArgs } from '../command-args.js';
import { openCommandStore } from '../command-store.js';
import { lockHeldMessage } from '../process-lock.js';
import { ExitCode } from '../exit-codes.js';
import { optionsHelp } from '../options-help.js';

const options = {
  ...configOptions,
  'older-than': { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const;

function parseDays(value: string | undefined): number {
  if (value === undefined) throw new UsageError('needs --older-than DAYS, e.g. wxlog prune --older-than 90');
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new UsageError(`--older-than: expected a whole number of days, at least 1, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

function describe(counts: PruneCounts): string {
  return (
    `${counts.entries} entries, ${counts.messages} messages, ${counts.windows} coverage windows` +
    (counts.ledgerEntries > 0 ? `, ${counts.ledgerEntries} filtered-ledger rows` : '')
  );
}

/** The lookback that reaches furthest back: the top-level one, or a listed app's own, named then. */
interface Lookback {
  days: number;
  /** Where it is set: `WXLOG_LOOKBACK_DAYS, now 7`, `the lookbackDays of wx…, 30`. */
  source: string;
}

function longestLookback(config: Config, apps: readonly AppConfig[]): Lookback {
  let longest: Lookback = { days: config.lookbackDays, source: `WXLOG_LOOKBACK_DAYS, now ${config.lookbackDays}` };
  for (const app of apps) {
    if (app.lookbackDays > longest.days)
      longest = { days: app.lookbackDays, source: `the lookbackDays of ${app.appid}, ${app.lookbackDays}` };
  }
  return longest;
}

// Days the lookback still covers are exported again by the next run if WeChat still serves them: pruning
// them costs search calls and gains no space for long. Undefined when DAYS reaches past the lookback.
function lookbackWarning(today: string, firstKept: string, lookback: Lookback, dryRun: boolean): string | undefined {
  const oldestExported = addCstDays(today, -(lookback.days - 1));
  if (firstKept <= oldestExported) return undefined;
  const days = `${dashedCstDay(oldestExported)} to ${dashedCstDay(addCstDays(firstKept, -1))}`;
  return (
    `wxlog prune: warning: ${days} ${dryRun ? 'would be pruned but are' : 'are'} inside the lookback ` +
    `(${lookback.source}): the next run downloads them again while WeChat still serves them; ` +
    `use --older-than ${lookback.days} or more to keep them\n`
  );
}

export const pruneCommand: Command = {
  name: 'prune',
  summary: 'delete stored entries older than some days, then reclaim the space',
  help: `wxlog prune --older-than DAYS [options]

Deletes, for every app in the file, the entries logged before 00:00 China Standard Time of the day
DAYS days before today, with their messages, their full-text index rows and the coverage windows of
those days; then gives the space back (VACUUM and a WAL checkpoint). \`--older-than 90\` on 2026-11-22
keeps 2026-08-24 and later. Reports what it removed and the file's size before and after.

Days still inside the lookback (WXLOG_LOOKBACK_DAYS, default 7: the days every run exports; or an app's
own lookbackDays, when longer) that you prune are downloaded again by the next run while WeChat serves
them: prune warns of it on stderr.
Like an export, prune takes the database's lock: while another run holds it, prune exits 4.
On PostgreSQL (WXLOG_DB=postgres://…) each CST month partition older than the cut is dropped whole
(log_messages_pYYYYMM, log_entries_pYYYYMM) in one short transaction, and the older rows of the month
the cut falls in are deleted 5,000 entries at a time; no lock is taken beyond PostgreSQL's own.

Options:
${optionsHelp([
  ['--older-than DAYS', 'whole days to keep before today, at least 1'],
  ['--dry-run', 'count what would be deleted; change nothing'],
  ...configHelp,
])}`,
  async run(ctx: CommandContext) {
    const { values } = parseCommandArgs('prune', ctx.argv, options, false);
    const days = parseDays(values['older-than']);
    const config = commandConfig(ctx, values, 'local');
    const now = ctx.now();
    const today = cstDayOf(Math.floor(now / 1000));
    const firstKept = addCstDays(today, -days);
    const before = cstDayBounds(firstKept).begin;
    const cut = `before ${formatCst(before)} CST`;

    const store = await openCommandStore(config.db, { writable: values['dry-run'] !== true });
    try {
      const lookback = longestLookback(config, listedAppsForReading(ctx, config, 'prune'));
      const warning = lookbackWarning(today, firstKept, lookback, values['dry-run'] === true);
      if (values['dry-run']) {
        if (warning) ctx.stderr.write(warning);
        ctx.stdout.write(
          `wxlog prune: would remove ${describe(await store.countPrunable(before))} logged ${cut}; nothing changed\n`,
        );
        return ExitCode.Ok;
      }
      const outcome = await store.prune(before, 'prune').catch((e: unknown) => {
        // PostgreSQL's log tables kept locked by other sessions: nothing pruned, try again (exit 2).
        throw e instanceof DatabaseUnavailableError ? new UsageError(e.message, { cause: e }) : e;
      });
      if (!outcome.pruned) {
        ctx.stderr.write(`wxlog prune: ${lockHeldMessage(outcome.holder, `holds ${store.label}`)}\n`);
        return ExitCode.Locked;
      }
      const { bytesBefore, bytesAfter } = outcome;
      const partitions =
        outcome.partitionsDropped.length === 0 ? '' : ` (dropped ${outcome.partitionsDropped.join(', ')})`;
      ctx.stdout.write(
        `wxlog prune: removed ${describe(outcome.counts)} logged ${cut}${partitions}; ` +
          `the ${outcome.measured} went from ${megabytes(bytesBefore)} to ${megabytes(bytesAfter)} (${bytesBefore} → ${bytesAfter} bytes)\n`,
      );
      if (warning) ctx.stderr.write(warning);
      return ExitCode.Ok;
    } finally {
      await store.close();
    }
  },
};
