import { createRequire } from 'node:module';
import * as z from 'zod';
import { TOKEN_MODES, type TokenMode } from '../wechat/token-mode.js';
import type { SearchFilters } from '../wechat/types.js';
import type { AppConfig } from './app-config.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A `host:port` to listen on; `host` without the brackets of an IPv6 address. */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Settings resolved once from defaults, the config file and `WXLOG_*` variables (docs/configuration.md).
 * The top-level credentials, budget, lookback, page size and filters are those of the one-app form
 * (`WXLOG_APPID`) and the defaults of every app in `apps` and the apps file.
 */
export interface Config {
  /**
   * The one-app form's AppID; labels every row. `''` in the many-apps form (`apps`, `WXLOG_APPS_FILE`) and
   * when loaded for a local command without one.
   */
  appid: string;
  /** AppSecret, for the `stable` and `classic` token modes. Never log it. */
  secret?: string;
  /** The top-level token mode: given, or implied by the top-level credentials (`stable` failing any). */
  tokenMode: TokenMode;
  /** A token supplied from outside: the top-level one implies `static`. Never log it. */
  accessToken?: string;
  /** Central token service: GET it, `{appid}` replaced by the AppID (the `url` mode). */
  tokenUrl?: string;
  /** Run by `/bin/sh -c` with `WXLOG_APPID` in its environment; prints a token (the `command` mode). */
  tokenCommand?: string;
  /**
   * Every app of the one-app form or of the config file's `apps` (enabled ones only), resolved. Those of
   * the apps file are not here: `loadApps` reads that file again at the start of every pass.
   */
  apps: AppConfig[];
  /** Absolute path of the apps file (`WXLOG_APPS_FILE`): a JSON array of apps, or one AppID a line. */
  appsFile?: string;
  /** Apps exported at the same time by one process, 1..256. */
  concurrency: number;
  /** Where `daemon` serves `/metrics`, `/livez` and `/readyz`; off when absent. */
  metricsAddr?: ListenAddress;
  /** PostgreSQL: how long a worker's lease on an app lasts unrenewed, in milliseconds (docs/postgres.md). */
  leaseTtlMs: number;
  /** http(s) origin of the API, without a trailing slash. */
  apiBase: string;
  /**
   * Absolute path of the SQLite file, or a `postgres://` / `postgresql://` URL as given (PostgreSQL). Other
   * URL schemes are refused. The URL may hold a password: show it through `redactDatabaseUrl` only.
   */
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

/**
 * Settings whose values must never be echoed in messages or logs: secrets, and the token service's URL and
 * command, which often carry a key of their own. Matched by the last part of a key (`apps[2].secret`).
 */
export const SECRET_SETTINGS: ReadonlySet<string> = new Set(['secret', 'accessToken', 'tokenUrl', 'tokenCommand']);

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

const TOKEN_MODE_RULE = `must be ${TOKEN_MODES.slice(0, -1)
  .map((mode) => `"${mode}"`)
  .join(', ')} or "${TOKEN_MODES.at(-1)}"`;

const TOKEN_URL_RULE =
  'must be an http(s) URL without spaces, like "https://tokens.example.com/token?appid={appid}" ({appid} becomes the AppID)';

function isTokenUrl(text: string): boolean {
  // The placeholder is replaced before the URL is parsed; braces elsewhere are the service's business.
  const url = text.replaceAll('{appid}', 'wx');
  if (/\s/.test(text) || !URL.canParse(url)) return false;
  const { protocol } = new URL(url);
  return protocol === 'http:' || protocol === 'https:';
}

const LISTEN_RULE = 'must be host:port with a port from 0 to 65535, like "127.0.0.1:9464" or "[::1]:9464"';

/** `host:port` or `[v6]:port` as a {@link ListenAddress}, or undefined when it is neither. */
export function parseListenAddress(text: string): ListenAddress | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port > 65_535) return undefined;
  return { host: match[1] ?? match[2] ?? '', port };
}

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
    .enum(TOKEN_MODES, { error: TOKEN_MODE_RULE })
    .default('stable')
    .meta({
      description:
        'How to get an access token (WXLOG_TOKEN_MODE): "stable" (cgi-bin/stable_token, leaves other services\' tokens valid), ' +
        '"classic" (cgi-bin/token, invalidates the previous token), "static" (accessToken as given), "url" (from tokenUrl) ' +
        'or "command" (printed by tokenCommand). When not given, the most specific credential decides (see "Many apps").',
    }),
  accessToken: token('must be a non-empty string without spaces or line breaks').meta({
    description:
      'A token supplied from outside, e.g. an authorizer_access_token (WXLOG_ACCESS_TOKEN). Implies tokenMode "static".',
  }),
  tokenUrl: z
    .string({ error: TOKEN_URL_RULE })
    .refine(isTokenUrl, { error: TOKEN_URL_RULE })
    .meta({
      description:
        'A central token service (WXLOG_TOKEN_URL): GET with {appid} replaced, answering JSON {"access_token", "expires_in"}. ' +
        'Implies tokenMode "url".',
      examples: ['https://tokens.example.com/token?appid={appid}'],
    }),
  tokenCommand: nonEmptyText('must be a non-empty command').meta({
    description:
      'A command run by /bin/sh with WXLOG_APPID in its environment (WXLOG_TOKEN_COMMAND), printing a token or JSON ' +
      '{"access_token", "expires_in"}; killed after 10 s. Implies tokenMode "command".',
  }),
  apiBase: z
    .string({ error: ORIGIN_RULE })
    .refine(isHttpOrigin, { error: ORIGIN_RULE })
    .default(DEFAULT_API_BASE)
    .meta({ description: 'API origin: WeChat, a proxy or the simulator (WXLOG_API_BASE).' }),
  db: nonEmptyText('must be a non-empty file path or a postgres:// URL')
    .default('./data/wxlog.db')
    .meta({
      description:
        'SQLite file, relative to the working directory; its folder is created (WXLOG_DB). A postgres:// or postgresql:// URL ' +
        '(postgres://user:password@host:5432/db) selects PostgreSQL instead (docs/postgres.md); its password is never shown. ' +
        'Any other URL (mysql://, sqlite://, file://) is refused.',
      examples: ['./data/wxlog.db', 'postgres://wxlog:password@db.example:5432/wxlog'],
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
  appsFile: nonEmptyText('must be a non-empty file path').meta({
    description:
      'Many apps: a JSON array of apps like "apps", or one AppID a line (# comments), relative to the working directory; ' +
      'read again at the start of every pass (WXLOG_APPS_FILE).',
  }),
  concurrency: integer('must be an integer from 1 to 256', 1, 256).default(32).meta({
    description: 'Apps exported at the same time by one process, each within its own budget (WXLOG_CONCURRENCY).',
  }),
  metricsAddr: z
    .string({ error: LISTEN_RULE })
    .refine((text) => parseListenAddress(text) !== undefined, { error: LISTEN_RULE })
    .transform((text) => parseListenAddress(text) as ListenAddress)
    .meta({
      description:
        'host:port where `wxlog daemon` serves /metrics, /livez and /readyz; off when unset (WXLOG_METRICS_ADDR).',
      examples: ['127.0.0.1:9464'],
    }),
  leaseTtlMs: integer('must be an integer number of milliseconds from 1000 to 3600000', 1000, 3_600_000)
    .default(30_000)
    .meta({
      description:
        "PostgreSQL: how long a worker's lease on an app lasts unrenewed; renewed every third of it, taken over by " +
        'another worker once it lapses (WXLOG_LEASE_TTL_MS).',
    }),
} as const;

/** A setting's path in the config file: `pageSize`, `filters.level`, … */
export type SettingKey = keyof typeof settingSchemas;

const FILTERS_RULE = 'must be an object with any of level, filterMsg, url, openid, traceId';

const filtersSchema = z.strictObject(
  {
    level: settingSchemas['filters.level'].optional(),
    filterMsg: settingSchemas['filters.filterMsg'].optional(),
    url: settingSchemas['filters.url'].optional(),
    openid: settingSchemas['filters.openid'].optional(),
    traceId: settingSchemas['filters.traceId'].optional(),
  },
  { error: FILTERS_RULE },
);

const APP_RULE = 'must be an object with at least "appid"';

// An app's own value of a setting: the top-level setting's rule, without its default (the top level is the default).
function own<T extends z.ZodType>(schema: z.ZodDefault<T>, key: string, description?: string) {
  return schema
    .unwrap()
    .optional()
    .meta({ description: description ?? `This app's own ${key}; default: the top-level one.` });
}

/**
 * One entry of `apps` (and of a JSON apps file): an AppID and the settings in which this app differs from
 * the top level (docs/configuration.md, "Many apps").
 */
export const appEntrySchema = z
  .strictObject(
    {
      appid: settingSchemas.appid.meta({ description: 'The AppID of this app; it labels its rows.' }),
      secret: settingSchemas.secret.optional(),
      tokenMode: own(
        settingSchemas.tokenMode,
        'tokenMode',
        "This app's own token mode; when not given, its most specific credential decides, else the top level's.",
      ),
      accessToken: settingSchemas.accessToken.optional(),
      tokenUrl: settingSchemas.tokenUrl.optional(),
      tokenCommand: settingSchemas.tokenCommand.optional(),
      callsPerMinute: own(settingSchemas.callsPerMinute, 'callsPerMinute'),
      lookbackDays: own(settingSchemas.lookbackDays, 'lookbackDays'),
      pageSize: own(settingSchemas.pageSize, 'pageSize'),
      filters: filtersSchema
        .optional()
        .meta({ description: "This app's filters; they replace the top-level filters as a whole ({} for none)." }),
      enabled: z
        .boolean({ error: 'must be true or false' })
        .default(true)
        .meta({ description: 'false leaves the app out (its data stays in the database).' }),
    },
    { error: APP_RULE },
  )
  .meta({ description: 'One app: its AppID and the settings in which it differs from the top level.' });

/** What one entry of `apps` holds once validated. */
export type AppEntry = z.output<typeof appEntrySchema>;

/** The keys an entry of `apps` may hold. */
export const APP_KEYS: readonly string[] = Object.keys(appEntrySchema.shape);

/** A JSON apps file (`WXLOG_APPS_FILE`): the same entries as `apps`. */
export const appsArraySchema = z.array(appEntrySchema, {
  error: 'must be an array of apps, each an object with at least "appid"',
});

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
    tokenUrl: settingSchemas.tokenUrl.optional(),
    tokenCommand: settingSchemas.tokenCommand.optional(),
    apps: appsArraySchema.optional().meta({
      description:
        'Many apps in one process: each entry has "appid" and may set its own credentials, budget, lookback and filters. ' +
        'Not together with "appid" or WXLOG_APPID.',
    }),
    appsFile: settingSchemas.appsFile.optional(),
    concurrency: settingSchemas.concurrency,
    metricsAddr: settingSchemas.metricsAddr.optional(),
    leaseTtlMs: settingSchemas.leaseTtlMs,
    apiBase: settingSchemas.apiBase,
    db: settingSchemas.db,
    callsPerMinute: settingSchemas.callsPerMinute,
    rateIntervalMs: settingSchemas.rateIntervalMs,
    lookbackDays: settingSchemas.lookbackDays,
    pageSize: settingSchemas.pageSize,
    filters: filtersSchema
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
