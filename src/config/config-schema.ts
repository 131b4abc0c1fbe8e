import { createRequire } from 'node:module';
import { z } from 'zod';
import { TOKEN_MODES, type TokenMode } from '../wechat/token-mode.js';
import type { SearchFilters } from '../wechat/types.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Settings resolved once from defaults, the config file and `WXLOG_*` variables (docs/configuration.md). */
export interface Config {
  /** The app's AppID; labels every row. `''` only when loaded for a local command and not set. */
  appid: string;
  /** AppSecret, for the `stable` and `classic` token modes. Never log it. */
  secret?: string;
  tokenMode: TokenMode;
  /** A token supplied from outside; set exactly when `tokenMode` is `static`. Never log it. */
  accessToken?: string;
  /** http(s) origin of the API, without a trailing slash. */
  apiBase: string;
  /** Absolute path of the SQLite file. */
  db: string;
  /** Search calls allowed per `rateIntervalMs`, 1..49. */
  callsPerMinute: number;
  rateIntervalMs: number;
  /** CST days to cover, today included, 1..30 (days the server will not serve are recorded as unavailable). */
  lookbackDays: number;
  /** `limit` per search call, 1..1000. */
  pageSize: number;
  /** Server-side filters; only the ones set are present. */
  filters: SearchFilters;
  /** Cron expression for `daemon`: 5 fields, or 6 with seconds first. */
  schedule: string;
  logLevel: LogLevel;
}

/** Settings whose values must never be echoed in messages or logs. */
export const SECRET_SETTINGS: ReadonlySet<string> = new Set(['secret', 'accessToken']);

export const DEFAULT_API_BASE = 'https://api.weixin.qq.com';

/** WeChat's level numbers for the `level` filter. */
export const LEVEL_NUMBERS = { info: 2, warn: 4, error: 8 } as const;

// Every rule is written once here: zod reports it for a bad file value and for a bad env value alike.
function integer(rule: string, min: number, max?: number) {
  const atLeast = z.int({ error: rule }).min(min, { error: rule });
  return max === undefined ? atLeast : atLeast.max(max, { error: rule });
}

function token(rule: string) {
  return z.string({ error: rule }).regex(/^\S+$/, { error: rule });
}

function nonEmptyText(rule: string) {
  return z.string({ error: rule }).min(1, { error: rule });
}

const CRON_RULE = 'must be a cron expression of 5 fields, or 6 with seconds first, like "*/10 * * * *"';
const CRON_FIELD_NAMES: Record<string, string> = {
  second: 'seconds',
  minute: 'minute',
  hour: 'hour',
  dayOfMonth: 'day-of-month',
  month: 'month',
  dayOfWeek: 'day-of-week',
};

type NodeCron = typeof import('node-cron');
let nodeCron: NodeCron | undefined;

// node-cron is loaded only when a schedule is checked (WXLOG_SCHEDULE or a config file's schedule): query,
// search and status read settings on every start and would otherwise pay for it (~10-30 ms) for nothing.
// Its CommonJS build, as validation must stay synchronous; both builds' validators are pure functions.
function cron(): NodeCron {
  nodeCron ??= createRequire(import.meta.url)('node-cron') as NodeCron;
  return nodeCron;
}

// node-cron also accepts shorthands like "@daily"; they are refused so that the setting means the same
// thing to every cron reader (docs/configuration.md: 5 or 6 fields).
function isSchedule(expression: string): boolean {
  const fields = expression.trim().split(/\s+/).length;
  return (fields === 5 || fields === 6) && cron().validate(expression);
}

function scheduleProblem(input: unknown): string {
  if (typeof input !== 'string') return CRON_RULE;
  const fields = input.trim() === '' ? 0 : input.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) return `${CRON_RULE} (it has ${fields} field${fields === 1 ? '' : 's'})`;
  const field = cron().validateDetailed(input).errors[0]?.field;
  const name = field === undefined ? undefined : CRON_FIELD_NAMES[field];
  return name === undefined ? CRON_RULE : `${CRON_RULE} (its ${name} field is invalid)`;
}

const ORIGIN_RULE = 'must be an http(s) origin like "https://api.weixin.qq.com" (no path, query or credentials)';

function isHttpOrigin(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return (
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.username === '' &&
    url.password === '' &&
    url.pathname === '/' &&
    url.search === '' &&
    url.hash === '' &&
    // URL normalises "https://host?" and "https://host#" away; the user still wrote something extra.
    !/[?#]/.test(text)
  );
}

/**
 * The schema of every single setting, keyed by its path in the config file. The env table parses
 * `WXLOG_*` strings and validates them with these same schemas.
 */
export const settingSchemas = {
  appid: token('must be the AppID without spaces, like "wx1234567890abcdef"').meta({
    description: "The app's AppID (WXLOG_APPID). Needed to talk to WeChat; it also labels every stored row.",
    examples: ['wx1234567890abcdef'],
  }),
  secret: token('must be a non-empty string without spaces or line breaks').meta({
    description: 'AppSecret for the "stable" and "classic" token modes (WXLOG_SECRET). Prefer the env variable.',
  }),
  tokenMode: z
    .enum(TOKEN_MODES, { error: 'must be "stable", "classic" or "static"' })
    .default('stable')
    .meta({
      description:
        'How to get an access token (WXLOG_TOKEN_MODE): "stable" (cgi-bin/stable_token, leaves other services\' tokens valid), ' +
        '"classic" (cgi-bin/token, invalidates the previous token) or "static" (accessToken as given).',
    }),
  accessToken: token('must be a non-empty string without spaces or line breaks').meta({
    description:
      'A token supplied from outside, e.g. an authorizer_access_token (WXLOG_ACCESS_TOKEN). Implies tokenMode "static".',
  }),
  apiBase: z
    .string({ error: ORIGIN_RULE })
    .refine(isHttpOrigin, { error: ORIGIN_RULE })
    .default(DEFAULT_API_BASE)
    .meta({ description: 'API origin: WeChat, a proxy or the simulator (WXLOG_API_BASE).' }),
  db: nonEmptyText('must be a non-empty file path').default('./data/wxlog.db').meta({
    description: 'SQLite file, relative to the working directory; its folder is created (WXLOG_DB).',
  }),
  callsPerMinute: integer('must be an integer from 1 to 49 (WeChat allows 50 a minute)', 1, 49)
    .default(45)
    .meta({ description: 'Search calls allowed per rate interval, retries included (WXLOG_CALLS_PER_MINUTE).' }),
  rateIntervalMs: integer('must be an integer number of milliseconds, at least 100', 100)
    .default(60_000)
    .meta({
      description:
        'The interval of the call budget in milliseconds (WXLOG_RATE_INTERVAL_MS). Below 60000 only when apiBase is a loopback ' +
        'address (127.0.0.0/8, localhost, [::1]): the time-scaled simulator.',
    }),
  lookbackDays: integer('must be an integer from 1 to 30 (CST days, today included)', 1, 30)
    .default(7)
    .meta({
      description:
        'CST days to cover, today included (WXLOG_LOOKBACK_DAYS). WeChat keeps 3, 7, 14 or 30 days by its documents and plans: ' +
        'days it will not serve are recorded as unavailable and not asked again.',
    }),
  pageSize: integer('must be an integer from 1 to 1000', 1, 1000).default(1000).meta({
    description:
      'The largest "limit" asked per search call (WXLOG_PAGE_SIZE). A smaller ceiling of the server is learnt and kept per app.',
  }),
  'filters.level': z
    .union([z.literal([2, 4, 8]), z.enum(['info', 'warn', 'error'])], {
      error: 'must be 2, 4 or 8, or "info", "warn" or "error"',
    })
    .transform((level) => (typeof level === 'number' ? level : LEVEL_NUMBERS[level]))
    .meta({ description: 'Only entries of at least this level: 2 info, 4 warn, 8 error (WXLOG_LEVEL).' }),
  'filters.filterMsg': nonEmptyText('must be a non-empty string').meta({
    description: 'Only entries with this filterMsg, as set by setFilterMsg/addFilterMsg (WXLOG_FILTER_MSG).',
  }),
  'filters.url': nonEmptyText('must be a non-empty string').meta({
    description: 'Only entries of this page path, e.g. pages/index/index (WXLOG_URL).',
  }),
  'filters.openid': nonEmptyText('must be a non-empty string').meta({
    description: 'Only entries of this user\'s OpenID, the API\'s "id" (WXLOG_OPENID).',
  }),
  'filters.traceId': nonEmptyText('must be a non-empty string').meta({
    description: 'Only entries of this launch of the Mini Program (WXLOG_TRACE_ID).',
  }),
  schedule: z
    .string({ error: CRON_RULE })
    .refine(isSchedule, { error: (issue) => scheduleProblem(issue.input) })
    .default('*/10 * * * *')
    .meta({ description: 'Cron expression for `wxlog daemon`: 5 fields, or 6 with seconds first (WXLOG_SCHEDULE).' }),
  logLevel: z
    .enum(['debug', 'info', 'warn', 'error'], { error: 'must be "debug", "info", "warn" or "error"' })
    .default('info')
    .meta({ description: 'Least severe log line written (WXLOG_LOG_LEVEL).' }),
} as const;

/** A setting's path in the config file: `pageSize`, `filters.level`, … */
export type SettingKey = keyof typeof settingSchemas;

const FILTERS_RULE = 'must be an object with any of level, filterMsg, url, openid, traceId';

/** The config file (`--config FILE` or `WXLOG_CONFIG`). Unknown keys are refused, so typos do not pass. */
export const configFileSchema = z
  .strictObject({
    $schema: z
      .string({ error: 'must be a string (where wxlog.schema.json is)' })
      .optional()
      .meta({ description: 'Path or URL of this JSON Schema, for editors.' }),
    appid: settingSchemas.appid.optional(),
    secret: settingSchemas.secret.optional(),
    tokenMode: settingSchemas.tokenMode,
    accessToken: settingSchemas.accessToken.optional(),
    apiBase: settingSchemas.apiBase,
    db: settingSchemas.db,
    callsPerMinute: settingSchemas.callsPerMinute,
    rateIntervalMs: settingSchemas.rateIntervalMs,
    lookbackDays: settingSchemas.lookbackDays,
    pageSize: settingSchemas.pageSize,
    filters: z
      .strictObject(
        {
          level: settingSchemas['filters.level'].optional(),
          filterMsg: settingSchemas['filters.filterMsg'].optional(),
          url: settingSchemas['filters.url'].optional(),
          openid: settingSchemas['filters.openid'].optional(),
          traceId: settingSchemas['filters.traceId'].optional(),
        },
        { error: FILTERS_RULE },
      )
      .default({})
      .meta({ description: 'Optional server-side filters. A filtered export keeps its own coverage ledger.' }),
    schedule: settingSchemas.schedule,
    logLevel: settingSchemas.logLevel,
  })
  .meta({
    title: 'wxlog configuration',
    description: 'Settings of wxlog. Every key is optional here; WXLOG_* environment variables override them.',
  });

/** What the config file holds once validated, with defaults filled in. */
export type ConfigFile = z.output<typeof configFileSchema>;

/** JSON Schema of the config file, for editors (`config/wxlog.schema.json` is generated from it). */
export const configJsonSchema = (): object => z.toJSONSchema(configFileSchema, { io: 'input' });
