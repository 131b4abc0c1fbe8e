import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import type { TokenMode } from '../wechat/token-mode.js';
import type { SearchFilters } from '../wechat/types.js';
import { ConfigError } from './config-error.js';
import { SECRET_SETTINGS, configFileSchema, settingSchemas, type Config, type SettingKey } from './config-schema.js';
import { CONFIG_FILE_ENV, envSettings } from './env-settings.js';
import { isLoopbackHost } from './loopback-host.js';
import { nearestName } from './nearest-name.js';

/** The shortest rate interval allowed against anything but a loopback address: WeChat's minute. */
export const MIN_REAL_RATE_INTERVAL_MS = 60_000;

/** `local` commands (query, status, search, prune, migrate) work without appid or credentials. */
export type LoadPurpose = 'upstream' | 'local';

/** Everything `loadConfig` reads, passed in so that nothing below the CLI touches `process`. */
export interface ConfigSources {
  env: Record<string, string | undefined>;
  /** `--config FILE`; when absent, `env.WXLOG_CONFIG`. Relative to `cwd`. */
  configFile?: string;
  cwd: string;
  /** Reads a UTF-8 file; defaults to `fs.readFileSync`. */
  readFile?: (path: string) => string;
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
 * count as unset). Throws a one-line {@link ConfigError} naming the setting at fault; secret values
 * are never part of a message.
 */
export function loadConfig(sources: ConfigSources, purpose: LoadPurpose = 'upstream'): Config {
  const file = readConfigFile(sources);
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
  const settings = configFileSchema.parse(merged);

  const where = (key: SettingKey): string | undefined => {
    const fromEnv = env.get(key);
    if (fromEnv) return fromEnv.name;
    if (file && key in fileValues) return `${key} in ${file.label}`;
    return undefined;
  };
  const settingOf = (key: SettingKey): string => env.get(key)?.name ?? key;

  let tokenMode: TokenMode = settings.tokenMode;
  if (settings.accessToken !== undefined) {
    const modeWhere = where('tokenMode');
    if (modeWhere !== undefined && tokenMode !== 'static') {
      throw new ConfigError(
        settingOf('tokenMode'),
        `${modeWhere}: "${tokenMode}" conflicts with ${where('accessToken') ?? 'accessToken'}, which implies "static"; remove one of them`,
      );
    }
    tokenMode = 'static';
  }

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

  if (purpose === 'upstream') {
    if (settings.appid === undefined) {
      throw new ConfigError(
        'WXLOG_APPID',
        'WXLOG_APPID: required to talk to WeChat; set it or "appid" in the config file',
      );
    }
    if (tokenMode === 'static' && settings.accessToken === undefined) {
      throw new ConfigError(
        'WXLOG_ACCESS_TOKEN',
        `WXLOG_ACCESS_TOKEN: required because ${where('tokenMode') ?? 'tokenMode'} is "static"; set it or "accessToken" in the config file`,
      );
    }
    if (tokenMode !== 'static' && settings.secret === undefined) {
      throw new ConfigError(
        'WXLOG_SECRET',
        `WXLOG_SECRET: required for the "${tokenMode}" token mode; set it or "secret" in the config file, ` +
          'or give WXLOG_ACCESS_TOKEN to use a token supplied from outside',
      );
    }
  }

  const filters: SearchFilters = {};
  for (const [name, value] of Object.entries(settings.filters)) {
    if (value !== undefined) Object.assign(filters, { [name]: value });
  }
  return {
    appid: settings.appid ?? '',
    ...(settings.secret === undefined ? {} : { secret: settings.secret }),
    tokenMode,
    ...(settings.accessToken === undefined ? {} : { accessToken: settings.accessToken }),
    // The schema accepted it as an origin; this drops the trailing slash and a default port.
    apiBase: apiBase.origin,
    db: resolve(sources.cwd, settings.db),
    callsPerMinute: settings.callsPerMinute,
    rateIntervalMs: settings.rateIntervalMs,
    lookbackDays: settings.lookbackDays,
    pageSize: settings.pageSize,
    filters,
    schedule: settings.schedule,
    logLevel: settings.logLevel,
  };
}

function isBlank(value: string | undefined): value is undefined {
  return value === undefined || value.trim() === '';
}

function readConfigFile(sources: ConfigSources): ConfigFileContent | undefined {
  const fromEnv = sources.env[CONFIG_FILE_ENV];
  const option = sources.configFile !== undefined ? '--config' : CONFIG_FILE_ENV;
  const given = sources.configFile ?? (isBlank(fromEnv) ? undefined : fromEnv);
  if (given === undefined) return undefined;
  if (given.trim() === '') throw new ConfigError(option, `${option}: needs the path of a JSON config file`);

  const fail = (problem: string): ConfigError =>
    new ConfigError(option, `config file ${given} (from ${option}): ${problem}`);
  let text: string;
  try {
    text = (sources.readFile ?? readUtf8)(resolve(sources.cwd, given));
  } catch (e: unknown) {
    throw fail(describeReadError(e));
  }
  // Editors on Windows like to start UTF-8 files with a byte-order mark, which JSON.parse refuses.
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  if (text.trim() === '') throw fail('is empty; it must hold a JSON object of settings');
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch (e: unknown) {
    throw fail(`is not valid JSON: ${describeJsonError(e, text)}`);
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw fail(`must hold a JSON object of settings, got ${Array.isArray(values) ? 'an array' : show(values)}`);
  }
  return { label: given, values: values as Record<string, unknown> };
}

function readUtf8(path: string): string {
  return readFileSync(path, 'utf8');
}

function describeReadError(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory, not a file';
  const message = e instanceof Error ? e.message : String(e);
  return `cannot be read (${message.split('\n')[0]})`;
}

// V8's JSON.parse messages sometimes quote the text around the error, which may hold a secret:
// keep only the description and turn the position into a line and column.
function describeJsonError(e: unknown, text: string): string {
  const message = e instanceof Error ? e.message : '';
  const match = /^(.*?) at position (\d+)/.exec(message);
  if (!match) return /end of JSON input/.test(message) ? 'it ends too early' : 'syntax error';
  const [, description = '', position = '0'] = match;
  const before = text.slice(0, Number(position)).split('\n');
  const at = `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
  const what = description.replace(/ in JSON$/, '');
  return what.includes('"') ? `syntax error at ${at}` : `${what} at ${at}`;
}

/** A value as it appears in messages: JSON, cut short so that the message stays one readable line. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function pathKey(path: readonly PropertyKey[]): string {
  return path.map(String).join('.');
}

function valueAt(values: Record<string, unknown>, path: readonly PropertyKey[]): unknown {
  let current: unknown = values;
  for (const part of path) current = (current as Record<PropertyKey, unknown> | undefined)?.[part];
  return current;
}

function validateFile(file: ConfigFileContent): void {
  const result = configFileSchema.safeParse(file.values);
  if (result.success) return;
  // A misspelt key usually explains the other complaints too, so it goes first.
  const issues = [...result.error.issues].sort(
    (a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'),
  );
  const issue = issues[0] as z.core.$ZodIssue;
  if (issue.code === 'unrecognized_keys') {
    const parent = pathKey(issue.path);
    const key = parent === '' ? String(issue.keys[0]) : `${parent}.${String(issue.keys[0])}`;
    throw new ConfigError(key, `${key} in ${file.label}: unknown setting${suggestion(key)}`);
  }
  const key = pathKey(issue.path);
  const secret = SECRET_SETTINGS.has(key);
  const got = secret ? '' : `, got ${show(valueAt(file.values, issue.path))}`;
  throw new ConfigError(key, `${key} in ${file.label}: ${issue.message}${got}`);
}

function readEnvironment(env: Record<string, string | undefined>): Map<SettingKey, EnvValue> {
  const values = new Map<SettingKey, EnvValue>();
  for (const setting of envSettings) {
    const raw = env[setting.name];
    if (isBlank(raw)) continue;
    const value = setting.parse(raw);
    const result = settingSchemas[setting.key].safeParse(value);
    if (!result.success) {
      const rule = result.error.issues[0]?.message ?? 'is not valid';
      const got = SECRET_SETTINGS.has(setting.key) ? '' : `, got ${show(raw)}`;
      throw new ConfigError(setting.name, `${setting.name}: ${rule}${got}`);
    }
    values.set(setting.key, { name: setting.name, value });
  }
  return values;
}

const FILE_KEYS: readonly string[] = ['$schema', ...Object.keys(settingSchemas)];

function suggestion(unknownKey: string): string {
  // An env-style name in the file ("WXLOG_PAGE_SIZE") means that variable's key.
  const fromEnvName = envSettings.find((s) => s.name === unknownKey.split('.').at(-1))?.key;
  const best = nearestName(unknownKey, FILE_KEYS, fromEnvName);
  if (best === undefined) return '; see docs/configuration.md for the settings';
  const [head, sub] = best.split('.');
  return sub === undefined ? `; did you mean "${head}"?` : `; did you mean "${sub}" inside "${head}"?`;
}
