import type { AppConfig } from '../config/app-config.js';
import type { Config } from '../config/config-schema.js';
import { appClientOptions } from '../export/app-export.js';
import type { CommandContext } from './command.js';
import { tokenEnv } from './pass-setup.js';

/** How a command's settings reach WeChat for one app: the export's own mapping, with this process's environment. */
export function clientOptions(
  config: Config,
  app: AppConfig,
  env: CommandContext['env'],
): ReturnType<typeof appClientOptions> {
  return appClientOptions(app, { apiBase: config.apiBase, tokenEnv: tokenEnv(env) });
}
