import { ExportEvents } from '../../events/export-events.js';
import type { Logger } from '../../log/logger.js';
import { createMetrics } from '../../metrics/export-metrics.js';
import { startOperationsServer, type OperationsServer } from '../../metrics/operations-server.js';
import { PassActivity } from '../../schedule/pass-activity.js';
import { SCHEDULE_TIMEZONE } from '../../schedule/cron-schedule.js';
import { runDaemon } from '../../schedule/daemon-loop.js';
import { openStore } from '../../store/open-store.js';
import { ConfigError } from '../../config/config-error.js';
import { UsageError, type Command, type CommandContext } from '../command.js';
import { parseCommandArgs } from '../command-args.js';
import { commandConfig, commandLogger, configHelp, configOptions } from '../cli-config.js';
import { exportPass, type PassOutcome } from '../export-pass.js';
import { ExitCode } from '../exit-codes.js';
import { passApps } from '../pass-setup.js';
import { ProgressLine } from '../progress.js';
import { optionsHelp } from '../options-help.js';

const options = {
  ...configOptions,
  'run-now': { type: 'boolean' },
  'no-run-now': { type: 'boolean' },
} as const;

/** The one log line of a pass: its summary, with the figures as fields. */
function logOutcome(logger: Logger, outcome: PassOutcome, elapsedMs: number): void {
  if (outcome.exitCode === ExitCode.Locked) {
    const h = outcome.holder;
    logger.info(`pass skipped: ${outcome.summary}`, {
      exitCode: outcome.exitCode,
      holder: h && { command: h.command, pid: h.pid, hostname: h.hostname },
    });
    return;
  }
  const r = outcome.result;
  const fields = {
    exitCode: outcome.exitCode,
    searchCalls: outcome.searchCalls,
    entriesNew: r?.entriesNew,
    entriesSeen: r?.entriesSeen,
    windowsComplete: r?.windowsComplete,
    windowsIncomplete: r?.windowsIncomplete,
    errors: r?.errors.length,
    elapsedMs,
  };
  // A credential or permission error needs a person; anything else the next pass picks up.
  if (outcome.exitCode === ExitCode.Fatal) logger.error(`pass ${outcome.summary}`, fields);
  else logger.info(`pass ${outcome.summary}`, fields);
}

export const daemonCommand: Command = {
  name: 'daemon',
  summary: 'stay up and run an export pass on the cron schedule WXLOG_SCHEDULE',
  help: `wxlog daemon [options]

Stays up and runs the export pass of \`wxlog run\` on the cron schedule WXLOG_SCHEDULE (default
"*/10 * * * *"; 5 fields, or 6 with seconds first). The schedule is read in China Standard Time
(${SCHEDULE_TIMEZONE}, UTC+8, the clock of WeChat's days) whatever TZ the host has: "30 0 * * *" runs at
00:30 CST, which is 16:30 UTC.

A pass runs at start too, unless --no-run-now is given. Never two passes at once: a tick while a pass
is running is skipped (and logged). A pass that fails is logged and recorded in the runs table, and
the daemon keeps its schedule; when another process holds the database's lock, the pass is skipped.
Each pass logs one summary line. SIGTERM or SIGINT: the schedule stops, the pass in hand finishes its
page and commits, and the daemon exits 0; a second signal exits at once.

With WXLOG_METRICS_ADDR=HOST:PORT (e.g. 0.0.0.0:9464; port 0 picks a free one, logged), the daemon
serves on that address only GET /metrics (Prometheus), /livez (200 while it runs) and /readyz (200
when the database is open and migrated, 503 from the first SIGTERM/SIGINT on); see docs/operations.md.
A tick skipped because a pass still runs says why (apps in flight, rate budget waits and until when).

Options:
${optionsHelp([
  ...configHelp,
  ['--run-now', 'run a pass at start, then on the schedule (the default)'],
  ['--no-run-now', 'wait for the first tick of the schedule'],
])}

Exit codes: 0 stopped by SIGTERM/SIGINT, 2 bad settings (a bad WXLOG_SCHEDULE included) or a
database that cannot be opened or written, 5 internal error (a bug in wxlog).`,
  async run(ctx: CommandContext) {
    const { values } = parseCommandArgs('daemon', ctx.argv, options, false);
    if (values['run-now'] === true && values['no-run-now'] === true) {
      throw new UsageError('--run-now and --no-run-now contradict each other; give one of them');
    }
    const config = commandConfig(ctx, values, 'upstream');
    const metricsAddr = config.metricsAddr;
    // A database that cannot be opened or written fails every pass alike: say so now, exit 2, rather than
    // log each tick's failure for ever. Opened means migrated too: from here on the daemon is ready.
    await (await openStore(config.db)).close();
    const progress = ctx.stderr.isTTY === true ? new ProgressLine(ctx.stderr) : undefined;
    const logger = commandLogger(progress ? { ...ctx, stderr: progress.logStream } : ctx, config);
    // One event stream for the process: every pass emits into it, the metrics and the activity line follow it.
    const events = new ExportEvents((e) => logger.error('an export event listener failed', { error: String(e) }));
    const activity = new PassActivity();
    events.on(activity.listener);
    const metrics = metricsAddr && createMetrics();
    if (metrics) events.on(metrics.listener);
    let server: OperationsServer | undefined;
    try {
      if (metricsAddr && metrics) {
        const { host, port } = metricsAddr;
        server = await startOperationsServer({
          host,
          port,
          metrics,
          // SIGTERM/SIGINT start the drain: from that instant no new work should be routed here.
          ready: () => !ctx.signal.aborted,
          logger,
        }).catch((e: unknown) => {
          // A taken port or an address not on this host is a setting to fix: exit 2, like any other.
          const why = e instanceof Error ? e.message : String(e);
          throw new ConfigError(
            'WXLOG_METRICS_ADDR',
            `WXLOG_METRICS_ADDR ${host}:${port} cannot be listened on: ${why}`,
          );
        });
      }
      await runDaemon({
        schedule: config.schedule,
        runNow: values['no-run-now'] !== true,
        signal: ctx.signal,
        logger,
        explainBusy: () => activity.report(),
        pass: async (signal) => {
          const started = ctx.now();
          // The apps are read again at each pass: those no longer configured lose their series, and the
          // pass's logger masks the secrets of the apps file as read now.
          const apps = passApps(config);
          metrics?.retainApps(apps.map((a) => a.appid));
          const passLogger = commandLogger(progress ? { ...ctx, stderr: progress.logStream } : ctx, config, apps);
          const outcome = await exportPass({
            config,
            apps,
            logger: passLogger,
            command: 'daemon',
            signal,
            progress,
            events,
            env: ctx.env,
          });
          logOutcome(passLogger, outcome, ctx.now() - started);
        },
      });
    } finally {
      await server?.close();
    }
    return ExitCode.Ok;
  },
};
