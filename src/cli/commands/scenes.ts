import { openStore } from '../../store/open-store.js';
import { clientOptions } from '../client-options.js';
import { WechatError } from '../../wechat/errors.js';
import { WechatClient } from '../../wechat/wechat-client.js';
import { UsageError, type Command, type CommandContext } from '../command.js';
import { parseCommandArgs } from '../command-args.js';
import { commandConfig, commandLogger, configHelp, configOptions } from '../cli-config.js';
import { ExitCode } from '../exit-codes.js';
import { optionsHelp } from '../options-help.js';
import { passApps } from '../pass-setup.js';

export const scenesCommand: Command = {
  name: 'scenes',
  summary: 'refresh and print the scene list (getSceneList)',
  help: `wxlog scenes [options]

Fetches the scene list (访问来源) with getSceneList, stores it in the scenes table (value as text),
and prints it as value<TAB>name lines. Every run refreshes it too.

Options:
${optionsHelp([...configHelp, ['--json', 'print the list as JSON'], ['--app APPID', 'ask as this app (default the first configured)']])}`,
  async run(ctx: CommandContext) {
    const { values } = parseCommandArgs(
      'scenes',
      ctx.argv,
      { ...configOptions, json: { type: 'boolean' }, app: { type: 'string', multiple: true } },
      false,
    );
    const config = commandConfig(ctx, values, 'upstream');
    const logger = commandLogger(ctx, config);
    // The list is WeChat's, the same for every app: the first app asked answers it (--app chooses).
    const app = passApps(config, values.app)[0];
    if (app === undefined) throw new UsageError('no app is configured; set WXLOG_APPID or WXLOG_APPS_FILE');
    // SQLite or PostgreSQL, as the setting says; opened (and migrated) before WeChat is asked anything.
    const store = await openStore(config.db, { poolSize: 1 });
    const client = new WechatClient({ ...clientOptions(config, app, ctx.env), logger });
    try {
      const scenes = await client.getSceneList(ctx.signal);
      await store.replaceScenes(app.appid, scenes, Math.floor(ctx.now() / 1000));
      const stored = await store.listScenes(app.appid);
      ctx.stdout.write(
        values.json ? `${JSON.stringify(stored)}\n` : stored.map((s) => `${s.value}\t${s.name}\n`).join(''),
      );
      return ExitCode.Ok;
    } catch (e: unknown) {
      if (!(e instanceof WechatError)) throw e;
      ctx.stderr.write(`wxlog scenes: ${e.message}\n`);
      return e.kind === 'fatal' || e.kind === 'token' ? ExitCode.Fatal : ExitCode.Incomplete;
    } finally {
      await store.close();
      await client.close();
    }
  },
};
