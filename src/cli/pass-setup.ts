import { hostname } from 'node:os';
import type { AppConfig } from '../config/app-config.js';
import type { Config } from '../config/config-schema.js';
import type { PassOptions, WorkerIdentity } from '../export/export-pass.js';
import type { CommandContext } from './command.js';
import { isAlive } from './process-lock.js';

/** This process, as `runs.worker` and the database's lock name it. */
export function thisWorker(): WorkerIdentity {
  return { pid: process.pid, hostname: hostname(), isAlive };
}

/** The one app of the `WXLOG_APPID` form. */
export function singleApp(config: Config): AppConfig {
  return {
    appid: config.appid,
    tokenMode: config.tokenMode,
    ...(config.secret === undefined ? {} : { secret: config.secret }),
    ...(config.accessToken === undefined ? {} : { accessToken: config.accessToken }),
    callsPerMinute: config.callsPerMinute,
    lookbackDays: config.lookbackDays,
    pageSize: config.pageSize,
    filters: config.filters,
  };
}

/** What a token command may see of this process's environment: the path to find programs, a home. */
export function tokenEnv(env: CommandContext['env']): Record<string, string | undefined> {
  return { PATH: env.PATH, HOME: env.HOME };
}

/** The process-wide settings of a pass over `apps`, as `run`, `daemon` and `demo` start it. */
export function passSettings(
  config: Config,
  apps: readonly AppConfig[],
): Pick<PassOptions, 'db' | 'apiBase' | 'rateIntervalMs' | 'concurrency' | 'apps'> {
  return {
    db: config.db,
    apiBase: config.apiBase,
    rateIntervalMs: config.rateIntervalMs,
    concurrency: 32,
    apps,
  };
}
