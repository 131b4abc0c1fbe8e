import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Simulator } from '../../src/simulator/simulator.js';

/**
 * Writes an apps file (one AppID a line after a comment line, docs/configuration.md) of `appids` (every app of `sim` by default)
 * into `dir`, and returns the settings that export those apps from `sim` with tokens from its central
 * token service: `WXLOG_API_BASE`, `WXLOG_APPS_FILE` (the file's path) and `WXLOG_TOKEN_URL`.
 */
export function appsFileEnv(
  sim: Simulator,
  dir: string,
  appids: readonly string[] = sim.apps().map((a) => a.appid),
): { WXLOG_API_BASE: string; WXLOG_APPS_FILE: string; WXLOG_TOKEN_URL: string } {
  const file = join(dir, 'apps.txt');
  writeFileSync(file, `# the platform's apps\n${appids.join('\n')}\n`);
  return { WXLOG_API_BASE: sim.url, WXLOG_APPS_FILE: file, WXLOG_TOKEN_URL: sim.tokenServiceUrl };
}
