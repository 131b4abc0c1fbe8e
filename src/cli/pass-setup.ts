import { hostname } from 'node:os';
import type { AppConfig } from '../config/app-config.js';
import type { Config } from '../config/config-schema.js';
import { loadApps } from '../config/load-apps.js';
import { ConfigError } from '../config/config-error.js';
import type { PassOptions, WorkerIdentity } from '../export/export-pass.js';
import { isPostgresUrl } from '../store/open-store.js';
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
): Pick<PassOptions, 'db' | 'apiBase' | 'rateIntervalMs' | 'concurrency' | 'apps'> {
  return {
    db: databaseSetting(config.db),
    apiBase: config.apiBase,
    rateIntervalMs: config.rateIntervalMs,
    concurrency: config.concurrency,
    apps,
  };
}

/**
 * The database a `WXLOG_DB` (or `db`) setting names: a PostgreSQL URL as given, or a SQLite path. The
 * settings resolve `db` against the working folder as a path, which turns `postgres://u:p@h/db` into
 * `/cwd/postgres:/u:p@h/db`: the URL is taken back from there (the only double slash a URL has is the
 * scheme's, which path normalization collapsed). Once the settings keep URLs as they are, this returns them.
 */
export function databaseSetting(db: string): string {
  if (isPostgresUrl(db)) return db;
  const mangled = /(?:^|[\\/])(postgres(?:ql)?):[\\/]+([^\\/].*)$/i.exec(db);
  return mangled ? `${mangled[1]}://${mangled[2]}` : db;
}

/**
 * PostgreSQL leases' time to live, `WXLOG_LEASE_TTL_MS` (milliseconds, at least 1000; default 30 s): how
 * soon another worker takes over the apps of one that died. Read here until the settings know it.
 */
export function leaseTtlMs(env: CommandContext['env']): number | undefined {
  const text = env.WXLOG_LEASE_TTL_MS;
  if (text === undefined || text.trim() === '') return undefined;
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms < 1000)
    throw new ConfigError(
      'WXLOG_LEASE_TTL_MS',
      `WXLOG_LEASE_TTL_MS must be an integer of milliseconds >= 1000, got ${text}`,
    );
  return ms;
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
