import type { AppConfig } from '../config/app-config.js';
import type { Config } from '../config/config-schema.js';
import { ExportEvents } from '../events/export-events.js';
import { exportPass as runPass, type PassOutcome as ProcessOutcome } from '../export/export-pass.js';
import type { DayOutcome, ExportResult } from '../export/run-export.js';
import type { Logger } from '../log/logger.js';
import type { LockHolder } from '../store/run-lock.js';
import type { WechatClientOptions } from '../wechat/wechat-client.js';
import type { CommandContext } from './command.js';
import { ExitCode } from './exit-codes.js';
import { passApps, passSettings, thisWorker, tokenEnv } from './pass-setup.js';
import { lockHeldMessage } from './process-lock.js';
import { ExportProgress, type ProgressLine } from './progress.js';

export { exitCodeFor } from '../export/app-export.js';
export { summarizeApp as summarize } from '../export/export-pass.js';

export interface PassOptions {
  config: Config;
  /** The apps of this pass; default every app configured (passApps). */
  apps?: readonly AppConfig[];
  logger: Logger;
  /** `run`, `daemon` or `demo`: recorded in `runs` and in the lock. */
  command: string;
  signal?: AbortSignal;
  now?: () => number;
  /** Client settings for tests and the demo (timeouts, retry delays). */
  client?: Partial<WechatClientOptions>;
  onDayDone?: (day: DayOutcome) => void;
  /** A terminal line to show the pass's progress on (give it only when stderr is a TTY). */
  progress?: ProgressLine;
  /**
   * The process's event stream (docs/operations.md): the pass and its clients emit into it (metrics, the
   * daemon's activity line). One stream per process, given to every pass.
   */
  events?: ExportEvents;
  /** The environment token commands see (tokenEnv); default none. */
  env?: CommandContext['env'];
}

export interface PassOutcome extends Omit<ProcessOutcome, 'holder'> {
  /** The only app's result, when the pass had one app (null when it did not run or crashed). */
  result: ExportResult | null;
  /** Set when another process holds the database's lock. */
  holder?: LockHolder;
}

/** A command's view of a pass: its settings, its progress line, the lock's message. */
export async function exportPass(o: PassOptions): Promise<PassOutcome> {
  const { config } = o;
  const apps = o.apps ?? passApps(config);
  const now = o.now ?? Date.now;
  const only = apps.length === 1 ? apps[0] : undefined;
  // The progress line follows the events, so a pass without the process's stream gets one of its own.
  const events = o.events ?? (o.progress ? new ExportEvents() : undefined);
  const progress =
    o.progress &&
    new ExportProgress({
      line: o.progress,
      label: `wxlog ${o.command}`,
      pageSize: only?.pageSize ?? config.pageSize,
      budget: { calls: only?.callsPerMinute ?? config.callsPerMinute, intervalMs: config.rateIntervalMs },
      now,
    });
  const unfollow = progress && events?.on(progress.listener, { dayFigures: () => true });
  const outcome = await runPass({
    ...passSettings(config, apps),
    command: o.command,
    logger: o.logger,
    tokenEnv: tokenEnv(o.env ?? {}),
    worker: thisWorker(),
    now,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.client ? { client: o.client } : {}),
    ...(events ? { events } : {}),
    onDayDone: (_appid, day) => {
      o.onDayDone?.(day);
    },
  }).finally(() => {
    progress?.finish();
    unfollow?.();
  });
  if (outcome.holder) {
    return {
      ...outcome,
      summary: lockHeldMessage(outcome.holder, `has been exporting into ${config.db}`),
      result: null,
    };
  }
  return { ...outcome, result: only ? (outcome.apps[0]?.result ?? null) : null };
}

export { ExitCode };
