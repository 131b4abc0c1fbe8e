import { resolve } from 'node:path';
import type { TokenMode } from '../wechat/token-mode.js';
import type { SearchFilters } from '../wechat/types.js';
import type { AppConfig } from './app-config.js';
import { ConfigError } from './config-error.js';
import { resolveDatabaseSetting } from './database-setting.js';
import { configFileSchema, settingSchemas, type Config, type SettingKey } from './config-schema.js';
import { CONFIG_FILE_ENV, envSettings } from './env-settings.js';
import { loadApps } from './load-apps.js';
import { isLoopbackHost } from './loopback-host.js';
import { refuseDuplicate, resolveApp, type AppDefaults } from './resolve-app.js';
import { fileIssue, isSecretKey, parseJson, readSettingsText, readUtf8, show, type ReadFile } from './settings-file.js';

/** The shortest rate interval allowed against anything but a loopback address: WeChat's minute. */
export const MIN_REAL_RATE_INTERVAL_MS = 60_000;

// The settings are parsed once a process (a pass, for the daemon): zod's compiled fast path for an object schema
// pays for itself only over many objects (the apps file), and compiling it cost every command ~5 ms.
const ONCE = { jitless: true } as const;

/** `local` commands (query, status, search, prune, migrate) work without apps or credentials. */
export type LoadPurpose = 'upstream' | 'local';

/** Everything `loadConfig` reads, passed in so that nothing below the CLI touches `process`. */
export interface ConfigSources {
  env: Record<string, string | undefined>;
  /** `--config FILE`; when absent, `env.WXLOG_CONFIG`. Relative to `cwd`. */
  configFile?: string;
  cwd: string;
  /** Reads a UTF-8 file (the config file, the apps file); defaults to `fs.readFileSync`. */
  readFile?: ReadFile;
}

interface ConfigFileContent {
  /** The path as the user wrote it, for messages. */
  label: string;
  values: Record<string, unknown>;
}

interface EnvValue {
  name: string;
  value: unknown;
}

/**
 * Resolves the settings once: defaults, then the config file, then `WXLOG_*` variables (empty ones
 * count as unset), and the apps to export (docs/configuration.md). Throws a one-line {@link ConfigError}
 * naming the setting at fault; secret values are never part of a message. For `upstream` the apps file is
 * read once too, so that its mistakes stop the start; `loadApps` reads it again at every pass.
 */
export function loadConfig(sources: ConfigSources, purpose: LoadPurpose = 'upstream'): Config {
  const readFile = sources.readFile ?? readUtf8;
  const file = readConfigFile(sources, readFile);
  const fileValues = file?.values ?? {};
  if (file) validateFile(file);
  const env = readEnvironment(sources.env);

  const { filters: fileFilters, ...fileTop } = fileValues;
  const merged: Record<string, unknown> = { ...fileTop, filters: { ...(fileFilters as object | undefined) } };
  for (const [key, { value }] of env) {
    const [head, sub] = key.split('.') as [string, string | undefined];
    if (sub === undefined) merged[head] = value;
    else (merged[head] as Record<string, unknown>)[sub] = value;
  }
  // Every part was validated above with the same schemas, so this only fills in the defaults.
  const settings = configFileSchema.parse(merged, ONCE);

  const where = (key: SettingKey | 'apps'): string | undefined => {
    const fromEnv = key === 'apps' ? undefined : env.get(key);
    if (fromEnv) return fromEnv.name;
    if (file && key in fileValues) return `${key} in ${file.label}`;
    return undefined;
  };
  const settingOf = (key: SettingKey): string => env.get(key)?.name ?? key;

  const tokenMode = topTokenMode(settings, where, settingOf);

  // The budget promises WeChat at most N calls in any minute: a shorter interval breaks that promise, so it
  // is for the time-scaled simulator on this machine only.
  const apiBase = new URL(settings.apiBase);
  if (settings.rateIntervalMs < MIN_REAL_RATE_INTERVAL_MS && !isLoopbackHost(apiBase.hostname)) {
    throw new ConfigError(
      settingOf('rateIntervalMs'),
      `${where('rateIntervalMs') ?? 'rateIntervalMs'}: must be at least ${MIN_REAL_RATE_INTERVAL_MS} (WeChat counts calls per minute) ` +
        `unless the API base is a loopback address (the simulator); ${where('apiBase') ?? 'the API base'} is ${apiBase.origin}, ` +
        `got ${settings.rateIntervalMs}`,
    );
  }

  const oneApp = where('appid');
  const manyApps = where('apps') ?? where('appsFile');
  if (oneApp !== undefined && manyApps !== undefined) {
    throw new ConfigError(
      settingOf('appid'),
      `${oneApp}: the one-app form cannot be combined with ${manyApps} (many apps); list this app there instead`,
    );
  }
  if (purpose === 'upstream' && oneApp === undefined && manyApps === undefined) {
    throw new ConfigError(
      'WXLOG_APPID',
      // Worded for the one-app form, which every command knows; "Many apps" in the docs tells the rest.
      'WXLOG_APPID: required to talk to WeChat; set it or "appid" in the config file',
    );
  }
  if (purpose === 'upstream' && oneApp !== undefined) requireCredential(settings, tokenMode, where);

  const filters: SearchFilters = {};
  for (const [name, value] of Object.entries(settings.filters)) {
    if (value !== undefined) Object.assign(filters, { [name]: value });
  }
  const defaults: AppDefaults = {
    ...optional('secret', settings.secret),
    ...optional('accessToken', settings.accessToken),
    ...optional('tokenUrl', settings.tokenUrl),
    ...optional('tokenCommand', settings.tokenCommand),
    tokenMode,
    callsPerMinute: settings.callsPerMinute,
    lookbackDays: settings.lookbackDays,
    pageSize: settings.pageSize,
    filters,
  };

  const apps: AppConfig[] = [];
  if (settings.appid !== undefined) {
    // Resolved leniently: requireCredential above has already refused what a command talking to WeChat lacks.
    const one = { entry: { appid: settings.appid, enabled: true }, place: oneApp ?? 'appid', setting: 'WXLOG_APPID' };
    apps.push(resolveApp(one, defaults, false));
  }
  const listed = (settings.apps ?? []).map((entry, i) => ({
    entry,
    place: `apps[${i}] in ${file?.label ?? 'the config file'}`,
    setting: `apps[${i}]`,
  }));
  // A duplicate first: it may explain the other complaints about the same app.
  const seen = new Map<string, string>();
  for (const app of listed) refuseDuplicate(app, seen);
  for (const app of listed) if (app.entry.enabled) apps.push(resolveApp(app, defaults, purpose === 'upstream'));

  const config: Config = {
    appid: settings.appid ?? '',
    ...defaults,
    // The schema accepted it as an origin; this drops the trailing slash and a default port.
    apiBase: apiBase.origin,
    db: resolveDatabaseSetting(settings.db, sources.cwd, settingOf('db'), where('db') ?? 'db'),
    rateIntervalMs: settings.rateIntervalMs,
    schedule: settings.schedule,
    logLevel: settings.logLevel,
    apps,
    ...optional('appsFile', settings.appsFile === undefined ? undefined : resolve(sources.cwd, settings.appsFile)),
    concurrency: settings.concurrency,
    ...optional('metricsAddr', settings.metricsAddr),
    leaseTtlMs: settings.leaseTtlMs,
  };
  if (purpose === 'upstream' && manyApps !== undefined && loadApps(config, readFile).length === 0) {
    throw new ConfigError(
      where('appsFile') === undefined ? 'apps' : settingOf('appsFile'),
      `${manyApps}: no enabled app to export; list at least one`,
    );
  }
  return config;
}

type Settings = ReturnType<typeof configFileSchema.parse>;
type Where = (key: SettingKey) => string | undefined;

/**
 * The top level's token mode: as given, else implied by the most specific top-level credential
 * (accessToken, tokenUrl, tokenCommand), else "stable". It is the mode of the one-app form and of every app
 * that brings no credential of its own.
 */
function topTokenMode(settings: Settings, where: Where, settingOf: (key: SettingKey) => string): TokenMode {
  const modeWhere = where('tokenMode');
  if (settings.accessToken !== undefined) {
    if (modeWhere !== undefined && settings.tokenMode !== 'static') {
      throw new ConfigError(
        settingOf('tokenMode'),
        `${modeWhere}: "${settings.tokenMode}" conflicts with ${where('accessToken') ?? 'accessToken'}, which implies "static"; remove one of them`,
      );
    }
    return 'static';
  }
  if (modeWhere !== undefined) return settings.tokenMode;
  if (settings.tokenUrl !== undefined) return 'url';
  if (settings.tokenCommand !== undefined) return 'command';
  return 'stable';
}

const NEEDS: Partial<Record<TokenMode, { key: 'accessToken' | 'tokenUrl' | 'tokenCommand'; env: string }>> = {
  static: { key: 'accessToken', env: 'WXLOG_ACCESS_TOKEN' },
  url: { key: 'tokenUrl', env: 'WXLOG_TOKEN_URL' },
  command: { key: 'tokenCommand', env: 'WXLOG_TOKEN_COMMAND' },
};

/** The one-app form's credential for its mode: missing, a ConfigError naming the variable to set. */
function requireCredential(settings: Settings, tokenMode: TokenMode, where: Where): void {
  const needed = NEEDS[tokenMode];
  if (needed !== undefined) {
    if (settings[needed.key] !== undefined) return;
    throw new ConfigError(
      needed.env,
      `${needed.env}: required because ${where('tokenMode') ?? 'tokenMode'} is "${tokenMode}"; set it or "${needed.key}" in the config file`,
    );
  }
  if (settings.secret === undefined) {
    throw new ConfigError(
      'WXLOG_SECRET',
      `WXLOG_SECRET: required for the "${tokenMode}" token mode; set it or "secret" in the config file, ` +
        'or give WXLOG_ACCESS_TOKEN, WXLOG_TOKEN_URL or WXLOG_TOKEN_COMMAND to get tokens another way',
    );
  }
}

/** `{ [key]: value }`, or nothing for an undefined value (exactOptionalPropertyTypes-friendly spreading). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}

function isBlank(value: string | undefined): value is undefined {
  return value === undefined || value.trim() === '';
}

function readConfigFile(sources: ConfigSources, readFile: ReadFile): ConfigFileContent | undefined {
  const fromEnv = sources.env[CONFIG_FILE_ENV];
  const option = sources.configFile !== undefined ? '--config' : CONFIG_FILE_ENV;
  const given = sources.configFile ?? (isBlank(fromEnv) ? undefined : fromEnv);
  if (given === undefined) return undefined;
  if (given.trim() === '') throw new ConfigError(option, `${option}: needs the path of a JSON config file`);

  const fail = (problem: string): ConfigError =>
    new ConfigError(option, `config file ${given} (from ${option}): ${problem}`);
  const text = readSettingsText(resolve(sources.cwd, given), readFile, fail);
  if (text.trim() === '') throw fail('is empty; it must hold a JSON object of settings');
  const values = parseJson(text, fail);
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw fail(`must hold a JSON object of settings, got ${Array.isArray(values) ? 'an array' : show(values)}`);
  }
  return { label: given, values: values as Record<string, unknown> };
}

function validateFile(file: ConfigFileContent): void {
  const result = configFileSchema.safeParse(file.values, ONCE);
  if (!result.success) throw fileIssue(result.error, file.values, file.label);
}

function readEnvironment(env: Record<string, string | undefined>): Map<SettingKey, EnvValue> {
  const values = new Map<SettingKey, EnvValue>();
  for (const setting of envSettings) {
    const raw = env[setting.name];
    if (isBlank(raw)) continue;
    const value = setting.parse(raw);
    const result = settingSchemas[setting.key].safeParse(value, ONCE);
    if (!result.success) {
      const rule = result.error.issues[0]?.message ?? 'is not valid';
      const got = isSecretKey(setting.key) ? '' : `, got ${show(raw)}`;
      throw new ConfigError(setting.name, `${setting.name}: ${rule}${got}`);
    }
    values.set(setting.key, { name: setting.name, value });
  }
  return values;
}
