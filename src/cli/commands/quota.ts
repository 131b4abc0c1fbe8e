import type { ApiQuota, RateLimit } from '../../wechat/api-quota.js';
import { clientOptions } from '../client-options.js';
import { WechatError } from '../../wechat/errors.js';
import { SEARCH_PATH, WechatClient } from '../../wechat/wechat-client.js';
import { parseCommandArgs } from '../command-args.js';
import type { Command, CommandContext } from '../command.js';
import { commandConfig, commandLogger, configFileHelp } from '../cli-config.js';
import { ExitCode } from '../exit-codes.js';
import { optionsHelp } from '../options-help.js';
import { passApps } from '../pass-setup.js';

function rateText(limit: RateLimit | null): string {
  return limit === null ? 'not reported' : `${limit.callCount} calls per ${limit.refreshSecond} s`;
}

/** Label and value lines, the values in one column. */
function quotaLines(appid: string, quota: ApiQuota): string {
  const rows: [string, string][] = [
    ['appid', appid],
    ['api', SEARCH_PATH],
    ['daily limit', String(quota.dailyLimit)],
    ['used today', String(quota.used)],
    ['remaining', String(quota.remain)],
    ['rate limit', rateText(quota.rateLimit)],
  ];
  // Only third-party platforms call for an app; an answer without that limit has nothing to show.
  if (quota.componentRateLimit !== null) rows.push(['third-party rate limit', rateText(quota.componentRateLimit)]);
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}\n`).join('');
}

export const quotaCommand: Command = {
  name: 'quota',
  summary: 'daily quota and rate limit of userlog_search (getApiQuota)',
  help: `wxlog quota [options]

Asks WeChat (getApiQuota) how many userlog_search calls the app may make today, how many it has made
(wxlog's and any other service's), how many remain, and the rate limit: the app's own and, when
WeChat reports it, the one for calls a third-party platform makes for the app. It reads the same
settings as \`wxlog run\` (WXLOG_APPID and the credentials) and writes nothing. The call does not
count against the search budget (WXLOG_CALLS_PER_MINUTE).

Options:
${optionsHelp([
  configFileHelp,
  ['--app APPID', 'only this app (repeatable); default every configured app, one block (or JSON line) each'],
  [
    '--json',
    'print {appid, dailyLimit, used, remain, rateLimit, componentRateLimit} as JSON\n(a rate limit is {callCount, refreshSecond}, or null when not reported)',
  ],
])}

Exit codes: 0 printed, 1 WeChat could not be reached or kept failing (after retries), 2 bad
configuration, 3 WeChat refused (credentials, permission, the API not authorized), 5 internal error
(a bug in wxlog).`,
  async run(ctx: CommandContext) {
    const { values } = parseCommandArgs(
      'quota',
      ctx.argv,
      { config: { type: 'string' }, json: { type: 'boolean' }, app: { type: 'string', multiple: true } },
      false,
    );
    const config = commandConfig(ctx, values, 'upstream');
    const apps = passApps(config, values.app);
    const logger = commandLogger(ctx, config, apps);
    const codes: ExitCode[] = [];
    for (const [i, app] of apps.entries()) {
      const client = new WechatClient({ ...clientOptions(config, app, ctx.env), logger });
      try {
        const quota = await client.getApiQuota(SEARCH_PATH, ctx.signal);
        const text = values.json
          ? `${JSON.stringify({ appid: app.appid, ...quota })}\n`
          : `${i > 0 ? '\n' : ''}${quotaLines(app.appid, quota)}`;
        ctx.stdout.write(text);
        codes.push(ExitCode.Ok);
      } catch (e: unknown) {
        if (!(e instanceof WechatError)) throw e;
        ctx.stderr.write(`wxlog quota: ${apps.length > 1 ? `${app.appid}: ` : ''}${e.message}\n`);
        // A token error that outlived its refresh is as fatal as refused credentials: asking again fails the same way.
        codes.push(e.kind === 'fatal' || e.kind === 'token' ? ExitCode.Fatal : ExitCode.Incomplete);
      } finally {
        await client.close();
      }
    }
    // As a pass: 3 only when every app was refused, 1 when some could not be asked.
    if (codes.every((c) => c === ExitCode.Fatal)) return ExitCode.Fatal;
    return codes.every((c) => c === ExitCode.Ok) ? ExitCode.Ok : ExitCode.Incomplete;
  },
};
