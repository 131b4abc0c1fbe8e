import { createTask, type Logger as CronLogger } from 'node-cron';
import type { Logger } from '../log/logger.js';

/**
 * The clock `WXLOG_SCHEDULE` is read on: China Standard Time, the clock of WeChat's days, whatever TZ the
 * host or container has. China keeps no daylight saving time, so no tick is ever skipped or repeated.
 */
export const SCHEDULE_TIMEZONE = 'Asia/Shanghai';

export interface CronScheduleOptions {
  /** 5 fields, or 6 with seconds first; validated with the settings (a bad one never gets here). */
  expression: string;
  /** Called at each tick with its scheduled instant. Must not throw. */
  onTick: (at: Date) => void;
  logger: Logger;
  /** IANA zone the expression is read in; default {@link SCHEDULE_TIMEZONE}. */
  timezone?: string;
}

/** A running schedule. */
export interface CronSchedule {
  /** The next tick, or null once stopped. */
  nextRun(): Date | null;
  /** Stops ticking for good; idempotent. */
  stop(): void;
}

// node-cron logs through its own console logger by default; its few lines (a tick missed because the
// event loop was blocked) belong in ours, in the same format as everything else.
function cronLogger(logger: Logger): CronLogger {
  const text = (m: string | Error): string => (m instanceof Error ? m.message : m);
  const fields = (e?: Error): Record<string, unknown> => ({ source: 'node-cron', ...(e ? { error: e } : {}) });
  return {
    info: (m) => logger.debug(m, fields()),
    debug: (m, e) => logger.debug(text(m), fields(e)),
    warn: (m) => logger.warn(m, fields()),
    error: (m, e) => logger.error(text(m), fields(e)),
  };
}

/**
 * Starts ticking on `expression` in a fixed time zone. The tick only hands over: whether a pass may start
 * (never two at once) is the caller's decision, so node-cron's own overlap rule is not used.
 */
export function startCronSchedule(o: CronScheduleOptions): CronSchedule {
  const task = createTask(o.expression, (context) => o.onTick(context.date), {
    timezone: o.timezone ?? SCHEDULE_TIMEZONE,
    name: 'wxlog-daemon',
    logger: cronLogger(o.logger),
  });
  void task.start();
  let stopped = false;
  return {
    // node-cron still answers a next run for a destroyed task.
    nextRun: () => (stopped ? null : task.getNextRun()),
    stop: () => {
      stopped = true;
      // destroy() also drops the task from node-cron's registry, which would otherwise keep it forever.
      void task.destroy();
    },
  };
}
