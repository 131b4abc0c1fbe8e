import type { Logger } from '../log/logger.js';
import { SCHEDULE_TIMEZONE, startCronSchedule } from './cron-schedule.js';
import { PassRunner, type Pass, type PassRunnerOptions } from './pass-runner.js';

export interface DaemonOptions {
  /** Cron expression, 5 fields or 6 with seconds first (validated with the settings). */
  schedule: string;
  pass: Pass;
  /** Aborting stops the schedule and lets the pass in hand finish; then runDaemon resolves. */
  signal: AbortSignal;
  logger: Logger;
  /** Run a pass at start rather than waiting for the first tick. */
  runNow: boolean;
  /** Zone the schedule is read in; default {@link SCHEDULE_TIMEZONE}. */
  timezone?: string;
  /** Why the pass in hand still runs, for the line of a skipped tick (pass-activity.ts). */
  explainBusy?: PassRunnerOptions['explainBusy'];
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/**
 * Runs passes on a cron schedule until `signal` aborts, never two at once. Resolves after the schedule is
 * stopped and the pass in hand (if any) has returned.
 */
export async function runDaemon(o: DaemonOptions): Promise<void> {
  if (o.signal.aborted) return;
  const timezone = o.timezone ?? SCHEDULE_TIMEZONE;
  const runner = new PassRunner({
    pass: o.pass,
    logger: o.logger,
    signal: o.signal,
    ...(o.explainBusy && { explainBusy: o.explainBusy }),
  });
  const cron = startCronSchedule({
    expression: o.schedule,
    timezone,
    logger: o.logger,
    onTick: (at) => {
      o.logger.debug('tick', { at: at.toISOString() });
      runner.trigger({ tick: at.toISOString() });
    },
  });
  o.logger.info('daemon started', {
    schedule: o.schedule,
    timezone,
    next: cron.nextRun()?.toISOString(),
    runNow: o.runNow,
  });
  if (o.runNow) runner.trigger({ tick: 'start' });
  await aborted(o.signal);
  cron.stop();
  if (runner.busy) o.logger.info('stopping: the pass in hand finishes its page first');
  await runner.idle();
  o.logger.info('daemon stopped');
}
