import type { Command, CommandContext } from '../command.js';
import { parseCommandArgs } from '../command-args.js';
import { commandConfig, commandLogger, configHelp, configOptions } from '../cli-config.js';
import { exportPass } from '../export-pass.js';
import { ExitCode } from '../exit-codes.js';
import { ProgressLine } from '../progress.js';
import { optionsHelp } from '../options-help.js';
import { passApps } from '../pass-setup.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'one export pass over the retention window, then exit',
  help: `wxlog run [options]

One export pass over every configured app (WXLOG_APPID, or the apps of the config file and
WXLOG_APPS_FILE; --app limits it): walks the last WXLOG_LOOKBACK_DAYS China Standard Time days (default 7, today
included), re-checks days already stored at about one search call per day, reads what changed, and
upserts every entry into the database (SQLite, or PostgreSQL for a postgres:// WXLOG_DB). Every search call passes through the rate budget
(WXLOG_CALLS_PER_MINUTE per WXLOG_RATE_INTERVAL_MS), shared with other runs on the same database.

With many apps, up to WXLOG_CONCURRENCY apps are exported at once, each within its own budget, the
least recently exported first; one app's failure never stops the others. The summary is one line,
plus one line per app that failed.

Options:
${optionsHelp([...configHelp, ['--app APPID', 'export only this app (repeatable)']])}

Exit codes: 0 complete, 1 some windows still incomplete or some apps failed (the next run
continues), 2 bad settings or a database that cannot be opened or written, 3 fatal upstream error
(credentials, permission) of the only app or of every app, 4 another run holds the database's lock
(PostgreSQL: other workers hold every app's lease),
5 internal error (a bug in wxlog). See docs/exit-codes.md.

On a terminal, stderr shows a progress line: days and windows done, new entries, search calls, and an
ETA that follows from the rate budget. Logs are readable lines there, JSON lines on a pipe or file
(WXLOG_LOG_LEVEL: debug, info, warn, error). The summary line goes to stdout.`,
  async run(ctx: CommandContext) {
    const { values } = parseCommandArgs(
      'run',
      ctx.argv,
      { ...configOptions, app: { type: 'string', multiple: true } },
      false,
    );
    const config = commandConfig(ctx, values, 'upstream');
    const apps = passApps(config, values.app);
    const progress = ctx.stderr.isTTY === true ? new ProgressLine(ctx.stderr) : undefined;
    const logger = commandLogger(progress ? { ...ctx, stderr: progress.logStream } : ctx, config, apps);
    const outcome = await exportPass({
      config,
      apps,
      logger,
      command: 'run',
      signal: ctx.signal,
      now: ctx.now,
      env: ctx.env,
      progress,
    });
    const out = outcome.exitCode === ExitCode.Locked ? ctx.stderr : ctx.stdout;
    out.write(`wxlog run: ${outcome.summary}\n`);
    for (const failure of outcome.failures) out.write(`wxlog run: failed ${failure}\n`);
    // A bug met by an app: the others were exported; main prints its stack and exits 5.
    if (outcome.crash) throw outcome.crash;
    return outcome.exitCode;
  },
};
