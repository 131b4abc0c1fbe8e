import { SECRET_TOKEN_MODES, type TokenMode } from '../wechat/token-mode.js';
import type { SearchFilters } from '../wechat/types.js';
import type { AppConfig } from './app-config.js';
import { ConfigError } from './config-error.js';
import type { AppEntry, Config } from './config-schema.js';

/** The top-level settings that are every app's defaults. */
export type AppDefaults = Pick<
  Config,
  | 'secret'
  | 'accessToken'
  | 'tokenUrl'
  | 'tokenCommand'
  | 'tokenMode'
  | 'callsPerMinute'
  | 'lookbackDays'
  | 'pageSize'
  | 'filters'
>;

/** One app as listed, with where: for messages that name it and for the duplicate check. */
export interface ListedApp {
  entry: AppEntry;
  /** `apps[2] in wxlog.json`, `[2] in /srv/apps.json`, `line 4 of /srv/apps.txt`, `WXLOG_APPID`. */
  place: string;
  /** The ConfigError's `setting` for a problem of this app: `apps[2]`, `WXLOG_APPS_FILE`, … */
  setting: string;
}

type Credential = 'secret' | 'accessToken' | 'tokenUrl' | 'tokenCommand';

const CREDENTIAL_OF: Record<TokenMode, Credential> = {
  stable: 'secret',
  classic: 'secret',
  static: 'accessToken',
  url: 'tokenUrl',
  command: 'tokenCommand',
};

const ENV_OF: Record<Credential, string> = {
  secret: 'WXLOG_SECRET',
  accessToken: 'WXLOG_ACCESS_TOKEN',
  tokenUrl: 'WXLOG_TOKEN_URL',
  tokenCommand: 'WXLOG_TOKEN_COMMAND',
};

/**
 * The token mode of an app that does not give one: its own most specific credential (accessToken, then
 * tokenUrl, tokenCommand, secret), failing those the top level's mode, which the top-level credentials
 * decided the same way (docs/configuration.md, "Many apps"). A secret of its own keeps a top-level "classic".
 */
function modeOf(entry: AppEntry, defaults: AppDefaults): TokenMode {
  if (entry.tokenMode !== undefined) return entry.tokenMode;
  if (entry.accessToken !== undefined) return 'static';
  if (entry.tokenUrl !== undefined) return 'url';
  if (entry.tokenCommand !== undefined) return 'command';
  if (entry.secret !== undefined) return defaults.tokenMode === 'classic' ? 'classic' : 'stable';
  return defaults.tokenMode;
}

/**
 * `listed` resolved over the top-level `defaults`. `strict` (commands that talk to WeChat) refuses an app
 * without the credential its mode needs, with a one-line {@link ConfigError} naming the app and what to set;
 * no message holds a secret.
 */
export function resolveApp(listed: ListedApp, defaults: AppDefaults, strict: boolean): AppConfig {
  const { entry, place, setting } = listed;
  const tokenMode = modeOf(entry, defaults);
  if (entry.accessToken !== undefined && tokenMode !== 'static') {
    throw new ConfigError(
      `${setting}.tokenMode`,
      `${place}: tokenMode "${tokenMode}" conflicts with its accessToken, which implies "static"; remove one of them`,
    );
  }
  const credential = CREDENTIAL_OF[tokenMode];
  const value = entry[credential] ?? defaults[credential];
  if (value === undefined && strict) throw missingCredential(listed, tokenMode, credential);

  const filters: SearchFilters = {};
  const given: object = entry.filters ?? defaults.filters;
  for (const [name, filter] of Object.entries(given) as [string, unknown][]) {
    if (filter !== undefined) Object.assign(filters, { [name]: filter });
  }
  return {
    appid: entry.appid,
    tokenMode,
    ...(value === undefined ? {} : { [credential]: value }),
    callsPerMinute: entry.callsPerMinute ?? defaults.callsPerMinute,
    lookbackDays: entry.lookbackDays ?? defaults.lookbackDays,
    pageSize: entry.pageSize ?? defaults.pageSize,
    filters,
    origin: place,
  };
}

function missingCredential(listed: ListedApp, tokenMode: TokenMode, credential: Credential): ConfigError {
  const { entry, place, setting } = listed;
  const app = `app ${entry.appid}`;
  if (entry.tokenMode === undefined && SECRET_TOKEN_MODES.has(tokenMode)) {
    // Nothing anywhere said how to get a token: name every way.
    return new ConfigError(
      setting,
      `${place}: ${app} has no credential to get an access token with; set its own "secret", "tokenUrl", ` +
        '"tokenCommand" or "accessToken", or a default for every app (WXLOG_SECRET, WXLOG_TOKEN_URL, ' +
        'WXLOG_TOKEN_COMMAND or WXLOG_ACCESS_TOKEN)',
    );
  }
  return new ConfigError(
    entry.tokenMode === undefined ? setting : `${setting}.tokenMode`,
    `${place}: ${app} needs a ${credential} for the "${tokenMode}" token mode; set its own "${credential}" ` +
      `or ${ENV_OF[credential]}`,
  );
}

/**
 * Refuses an AppID listed twice, naming both places; `seen` maps the AppIDs met so far to their place and
 * is added to.
 */
export function refuseDuplicate(listed: ListedApp, seen: Map<string, string>): void {
  const earlier = seen.get(listed.entry.appid);
  if (earlier !== undefined) {
    throw new ConfigError(
      listed.setting,
      `${listed.place}: app ${listed.entry.appid} is listed twice, also at ${earlier}; keep one of them`,
    );
  }
  seen.set(listed.entry.appid, listed.place);
}
