import { envSettings, RESERVED_ENV_NAMES } from './env-settings.js';
import { nearestName } from './nearest-name.js';

const KNOWN: readonly string[] = [...envSettings.map((s) => s.name), ...RESERVED_ENV_NAMES];

/**
 * One warning for each `WXLOG_*` variable of `env` that wxlog does not know (`WXLOG_PAGESIZE`), naming the
 * nearest real one. A typo must not pass in silence: the setting it meant keeps its default. The CLI prints
 * them; the settings load as if the variable were absent.
 */
export function unknownEnvWarnings(env: Record<string, string | undefined>): string[] {
  const warnings: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('WXLOG_') || KNOWN.includes(name) || env[name] === undefined) continue;
    const nearest = nearestName(name, KNOWN);
    const hint = nearest === undefined ? 'see docs/configuration.md for the settings' : `did you mean ${nearest}?`;
    warnings.push(`${name} is not a wxlog setting and is ignored; ${hint}`);
  }
  return warnings;
}
