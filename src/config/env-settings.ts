import type { SettingKey } from './config-schema.js';

/** One `WXLOG_*` variable: the setting it overrides and how its text becomes a value for that setting's schema. */
export interface EnvSetting {
  readonly name: string;
  readonly key: SettingKey;
  /** Turns the text into what the setting's schema expects; what it cannot read is passed on for the schema to refuse. */
  readonly parse: (raw: string) => unknown;
}

/** The variable that names the config file when `--config` is not given. */
export const CONFIG_FILE_ENV = 'WXLOG_CONFIG';

const text = (raw: string): string => raw;

// Blanks around an address are a slip of the shell, not part of it.
const trimmed = (raw: string): string => raw.trim();

// Case and surrounding blanks do not matter for keywords: `WXLOG_LOG_LEVEL=DEBUG` means debug.
const keyword = (raw: string): string => raw.trim().toLowerCase();

// Only plain decimal digits become numbers: Number() would also take "0x10", "1e3" or "".
const integer = (raw: string): unknown => (/^\s*[+-]?\d+\s*$/.test(raw) ? Number(raw) : raw);

const level = (raw: string): unknown => (/^\s*\d+\s*$/.test(raw) ? Number(raw) : keyword(raw));

/**
 * Every `WXLOG_*` setting (docs/configuration.md). Other `WXLOG_*` variables are ignored, with a warning
 * unless {@link RESERVED_ENV_NAMES} holds them.
 */
export const envSettings: readonly EnvSetting[] = [
  { name: 'WXLOG_APPID', key: 'appid', parse: text },
  { name: 'WXLOG_SECRET', key: 'secret', parse: text },
  { name: 'WXLOG_TOKEN_MODE', key: 'tokenMode', parse: keyword },
  { name: 'WXLOG_ACCESS_TOKEN', key: 'accessToken', parse: text },
  { name: 'WXLOG_TOKEN_URL', key: 'tokenUrl', parse: trimmed },
  { name: 'WXLOG_TOKEN_COMMAND', key: 'tokenCommand', parse: text },
  { name: 'WXLOG_API_BASE', key: 'apiBase', parse: text },
  { name: 'WXLOG_DB', key: 'db', parse: text },
  { name: 'WXLOG_CALLS_PER_MINUTE', key: 'callsPerMinute', parse: integer },
  { name: 'WXLOG_RATE_INTERVAL_MS', key: 'rateIntervalMs', parse: integer },
  { name: 'WXLOG_LOOKBACK_DAYS', key: 'lookbackDays', parse: integer },
  { name: 'WXLOG_PAGE_SIZE', key: 'pageSize', parse: integer },
  { name: 'WXLOG_LEVEL', key: 'filters.level', parse: level },
  { name: 'WXLOG_FILTER_MSG', key: 'filters.filterMsg', parse: text },
  { name: 'WXLOG_URL', key: 'filters.url', parse: text },
  { name: 'WXLOG_OPENID', key: 'filters.openid', parse: text },
  { name: 'WXLOG_TRACE_ID', key: 'filters.traceId', parse: text },
  { name: 'WXLOG_SCHEDULE', key: 'schedule', parse: text },
  { name: 'WXLOG_LOG_LEVEL', key: 'logLevel', parse: keyword },
  { name: 'WXLOG_APPS_FILE', key: 'appsFile', parse: text },
  { name: 'WXLOG_CONCURRENCY', key: 'concurrency', parse: integer },
  { name: 'WXLOG_METRICS_ADDR', key: 'metricsAddr', parse: trimmed },
  { name: 'WXLOG_LEASE_TTL_MS', key: 'leaseTtlMs', parse: integer },
];

/** `WXLOG_*` variables that are not in {@link envSettings} yet are no typo: the config file's own variable. Not warned about. */
export const RESERVED_ENV_NAMES: readonly string[] = [CONFIG_FILE_ENV];
