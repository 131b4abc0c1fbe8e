import { ConfigError } from '../config/config-error.js';
import { configSecrets } from '../config/config-secrets.js';
import { listedApps } from '../config/load-apps.js';
import { loadConfig, type LoadPurpose } from '../config/load-config.js';
import { unknownEnvWarnings } from '../config/unknown-env.js';
import type { AppConfig } from '../config/app-config.js';
import type { Config } from '../config/config-schema.js';
import { createLogger, type Logger } from '../log/logger.js';
import type { CommandContext } from './command.js';
import type { OptionHelp } from './options-help.js';

/** Options every command that reads settings accepts. */
export const configOptions = {
  config: { type: 'string' },
  db: { type: 'string' },
} as const;

/** The `--help` line of `--config`, for commands that take no `--db`. */
export const configFileHelp: OptionHelp = [
  '--config FILE',
  'JSON settings file (default: $WXLOG_CONFIG); WXLOG_* variables override it',
];

/** The `--help` lines of {@link configOptions}, for `optionsHelp`. */
export const configHelp: readonly OptionHelp[] = [
  configFileHelp,
  ['--db FILE', 'SQLite database (default: $WXLOG_DB or ./data/wxlog.db)'],
];

// A daemon that reads its settings again must not repeat the warning: once per process is enough.
let envWarned = false;

/**
 * Resolves the settings for a command: the config file, WXLOG_* variables, then `--db`. Unknown WXLOG_*
 * variables get one warning line each on stderr, the first time a command of this process reads settings.
 */
export function commandConfig(
  ctx: CommandContext,
  values: { config?: string | undefined; db?: string | undefined },
  purpose: LoadPurpose,
): Config {
  if (!envWarned) {
    envWarned = true;
    for (const warning of unknownEnvWarnings(ctx.env)) ctx.stderr.write(`wxlog: warning: ${warning}\n`);
  }
  const env = values.db === undefined ? ctx.env : { ...ctx.env, WXLOG_DB: values.db };
  return loadConfig(
    { env, cwd: ctx.cwd, ...(values.config === undefined ? {} : { configFile: values.config }) },
    purpose,
  );
}

/**
 * For a command that only reads the database (`status`, `prune`): every app the settings and the apps file list,
 * with its own lookback and filters. An apps file that cannot be read is said once on stderr, and only the
 * settings' own apps are returned: the command still reads the database.
 */
export function listedAppsForReading(ctx: CommandContext, config: Config, command: string): AppConfig[] {
  try {
    return listedApps(config);
  } catch (e: unknown) {
    if (!(e instanceof ConfigError)) throw e;
    ctx.stderr.write(`wxlog ${command}: warning: ${e.message}; its apps are taken to have the top-level settings\n`);
    return config.apps;
  }
}

/** The process's logger: JSON lines on a pipe, readable lines on a terminal, secrets masked. */
export function commandLogger(ctx: CommandContext, config: Config, apps: readonly AppConfig[] = config.apps): Logger {
  return createLogger({ level: config.logLevel, stream: ctx.stderr, redact: configSecrets(config, apps) });
}
