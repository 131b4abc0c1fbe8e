import { hostname } from 'node:os';
import type { AppConfig } from '../config/app-config.js';
import type { Config } from '../config/config-schema.js';
import { loadApps } from '../config/load-apps.js';
import type { PassOptions, WorkerIdentity } from '../export/export-pass.js';
import { UsageError, type CommandContext } from './command.js';
import { isAlive } from './process-lock.js';

/** This process, as `runs.worker` and the database's lock name it. */
export function thisWorker(): WorkerIdentity {
  return { pid: process.pid, hostname: hostname(), isAlive };
}

/** What a token command may see of this process's environment: the path to find programs, a home. */
export function tokenEnv(env: CommandContext['env']): Record<string, string | undefined> {
  return { PATH: env.PATH, HOME: env.HOME };
}

/** The process-wide settings of a pass over `apps`, as `run`, `daemon` and `demo` start it. */
export function passSettings(
  config: Config,
  apps: readonly AppConfig[],
): Pick<PassOptions, 'db' | 'apiBase' | 'rateIntervalMs' | 'concurrency' | 'leaseTtlMs' | 'apps'> {
  return {
    db: config.db,
    apiBase: config.apiBase,
    rateIntervalMs: config.rateIntervalMs,
    concurrency: config.concurrency,
    leaseTtlMs: config.leaseTtlMs,
    apps,
  };
}

/**
 * The apps of a pass: every app configured (the apps file is read again each time), or those `--app` names.
 * An `--app` the settings do not hold is a usage error naming the apps they do.
 */
export function passApps(config: Config, only: readonly string[] = []): AppConfig[] {
  const apps = configuredApps(config);
  if (only.length === 0) return apps;
  const known = new Set(apps.map((a) => a.appid));
  const missing = only.filter((id) => !known.has(id));
  if (missing.length > 0) {
    const some = apps.slice(0, 5).map((a) => a.appid);
    const more = apps.length > some.length ? ` and ${apps.length - some.length} more` : '';
    throw new UsageError(
      `--app ${missing[0]}: not one of the configured apps (${some.join(', ')}${more}); see WXLOG_APPS_FILE or "apps"`,
    );
  }
  const wanted = new Set(only);
  return apps.filter((a) => wanted.has(a.appid));
}

function configuredApps(config: Config): AppConfig[] {
  return loadApps(config);
}
