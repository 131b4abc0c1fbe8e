import type { AppConfig } from './app-config.js';
import { readAppsFile } from './apps-file.js';
import { ConfigError } from './config-error.js';
import type { Config } from './config-schema.js';
import { refuseDuplicate, resolveApp } from './resolve-app.js';
import { readUtf8, type ReadFile } from './settings-file.js';

/**
 * The apps to export in this pass: `config.apps`, then the enabled apps of the apps file (`config.appsFile`),
 * read again now so that apps can be added or removed without a restart. Each is resolved over the
 * top-level settings of `config` (docs/configuration.md, "Many apps"). Throws a one-line ConfigError for a
 * file that cannot be read or parsed, an AppID listed twice (naming both places) or an app without a
 * usable credential, or a token service URL without `{appid}` that several apps would share.
 */
export function loadApps(config: Config, readFile: ReadFile = readUtf8): AppConfig[] {
  const apps = [...config.apps];
  if (config.appsFile !== undefined) {
    const seen = new Map(config.apps.map((app) => [app.appid, app.origin ?? 'the settings']));
    const listed = readAppsFile(config.appsFile, readFile);
    for (const app of listed) refuseDuplicate(app, seen);
    for (const app of listed) if (app.entry.enabled) apps.push(resolveApp(app, config, true));
  }
  refuseSharedTokenUrl(apps);
  return apps;
}

/**
 * The apps of the settings (`config.apps`) and every app of the apps file (`config.appsFile`), disabled ones
 * included, each resolved over the top-level settings without asking for a credential: where the commands
 * that only read the database (`status`, `prune`) find an app's own `lookbackDays` and `filters`. Throws a
 * one-line ConfigError for an apps file that cannot be read or parsed, or an entry that contradicts itself.
 */
export function listedApps(config: Config, readFile: ReadFile = readUtf8): AppConfig[] {
  if (config.appsFile === undefined) return [...config.apps];
  const listed = new Set(config.apps.map((app) => app.appid));
  const fromFile = readAppsFile(config.appsFile, readFile)
    .filter((app) => !listed.has(app.entry.appid))
    .map((app) => resolveApp(app, config, false));
  return [...config.apps, ...fromFile];
}

/**
 * A `tokenUrl` without `{appid}` answers the same token whoever asks: serving two apps, it would give one
 * app's token to the other (WeChat refuses it, or worse, the export reads the wrong app). Refused, naming
 * the apps but never the URL, which may carry a key.
 */
function refuseSharedTokenUrl(apps: readonly AppConfig[]): void {
  const byUrl = new Map<string, AppConfig[]>();
  for (const app of apps) {
    if (app.tokenMode !== 'url' || app.tokenUrl === undefined || app.tokenUrl.includes('{appid}')) continue;
    byUrl.set(app.tokenUrl, [...(byUrl.get(app.tokenUrl) ?? []), app]);
  }
  for (const sharing of byUrl.values()) {
    if (sharing.length < 2) continue;
    const [first, second] = sharing as [AppConfig, AppConfig];
    const more = sharing.length > 2 ? ` and ${sharing.length - 2} more` : '';
    throw new ConfigError(
      'tokenUrl',
      `tokenUrl: one URL without {appid} serves ${first.appid}, ${second.appid}${more}, so every app would get the ` +
        'same token; put {appid} where the AppID goes (https://tokens.example.com/token?appid={appid})',
    );
  }
}
