import type { AppConfig } from './app-config.js';
import type { Config } from './config-schema.js';

/**
 * Every secret value of the settings, for a logger to mask: the top-level secret and access token and those
 * of each app (`config.apps`, or the apps of this pass that `loadApps` returned).
 */
export function configSecrets(config: Config, apps: readonly AppConfig[] = config.apps): string[] {
  const values = [config.secret, config.accessToken, ...apps.flatMap((app) => [app.secret, app.accessToken])];
  return [...new Set(values.filter((s): s is string => typeof s === 'string' && s.length > 0))];
}
