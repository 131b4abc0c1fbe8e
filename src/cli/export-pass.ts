import type { AppConfig } from '../config/app-config.js';
import type { Config } from '../config/config-schema.js';
import type { ExportEvents } from '../events/export-events.js';
import { exportPass as runPass, type PassOutcome as ProcessOutcome } from '../export/export-pass.js';
import { coverage, MAX_LOOKBACK_DAYS, type DayOutcome, type ExportResult } from '../export/run-export.js';
import { filterKey } from '../config/filter-key.js';
import type { Logger } from '../log/logger.js';
import type { LockHolder } from '../store/run-lock.js';
import { recentCstDays } from '../wechat/cst-day.js';
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

/** A command's view of a pass: its settings, the progress line of a one-app pass, the lock's message. */
export async function exportPass(o: PassOptions): Promise<PassOutcome> {
  const { config } = o;
  const apps = o.apps ?? passApps(config);
  const now = o.now ?? Date.now;
  let progress: ExportProgress | undefined;
  let followed: { stats: { searchRequests: number } } | undefined;
  const only = apps.length === 1 ? apps[0] : undefined;
  const outcome = await runPass({
    ...passSettings(config, apps),
    command: o.command,
    logger: o.logger,
    tokenEnv: tokenEnv(o.env ?? {}),
    worker: thisWorker(),
    now,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.client ? { client: o.client } : {}),
    ...(o.events ? { events: o.events } : {}),
    onStart: (store) => {
      if (!o.progress || !only) return;
      const filters = filterKey(only.filters);
      progress = new ExportProgress({
        line: o.progress,
        label: `wxlog ${o.command}`,
        days: recentCstDays(Math.floor(now() / 1000), Math.min(only.lookbackDays, MAX_LOOKBACK_DAYS)),
        coverage: (date) => coverage(store, only.appid, filters, date),
        searchCalls: () => followed?.stats.searchRequests ?? 0,
        pageSize: only.pageSize,
        budget: { calls: only.callsPerMinute, intervalMs: config.rateIntervalMs },
        now,
      });
    },
    follow: (_appid, api) => {
      followed = api as unknown as { stats: { searchRequests: number } };
      return progress ? progress.follow(api) : api;
    },
    onDayDone: (_appid, day) => {
      progress?.dayDone(day);
      o.onDayDone?.(day);
    },
  }).finally(() => progress?.finish());
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
