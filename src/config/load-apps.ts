import type { AppConfig } from './app-config.js';
import { readAppsFile } from './apps-file.js';
import type { Config } from './config-schema.js';
import { refuseDuplicate, resolveApp } from './resolve-app.js';
import { readUtf8, type ReadFile } from './settings-file.js';

/**
 * The apps to export in this pass: `config.apps`, then the enabled apps of the apps file (`config.appsFile`),
 * read again now so that apps can be added or removed without a restart. Each is resolved over the
 * top-level settings of `config` (docs/configuration.md, "Many apps"). Throws a one-line ConfigError for a
 * file that cannot be read or parsed, an AppID listed twice (naming both places) or an app without a
 * usable credential.
 */
export function loadApps(config: Config, readFile: ReadFile = readUtf8): AppConfig[] {
  const apps = [...config.apps];
  if (config.appsFile === undefined) return apps;
  const seen = new Map(config.apps.map((app) => [app.appid, app.origin ?? 'the settings']));
  const listed = readAppsFile(config.appsFile, readFile);
  for (const app of listed) refuseDuplicate(app, seen);
  for (const app of listed) if (app.entry.enabled) apps.push(resolveApp(app, config, true));
  return apps;
}
