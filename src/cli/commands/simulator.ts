import { MAX_APPS } from '../../simulator/app-list.js';
import { DEFAULT_SERVED_DAYS, MAX_SERVED_DAYS } from '../../simulator/log-store.js';
import { RESULT_ORDERS } from '../../simulator/result-order.js';
import { startSimulator, type SimulatorOptions } from '../../simulator/simulator.js';
import { UsageError, type Command, type CommandContext } from '../command.js';
import { parseCommandArgs } from '../command-args.js';
import { ExitCode } from '../exit-codes.js';
import { optionsHelp } from '../options-help.js';

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  appid: { type: 'string' },
  secret: { type: 'string' },
  apps: { type: 'string' },
  'calls-per-minute': { type: 'string' },
  'interval-ms': { type: 'string' },
  'per-day': { type: 'string' },
  seed: { type: 'string' },
  'fault-rate': { type: 'string' },
  'max-page-size': { type: 'string' },
  'max-offset': { type: 'string' },
  'page-size-cap-mode': { type: 'string' },
  order: { type: 'string' },
  endtime: { type: 'string' },
  'served-days': { type: 'string' },
  'data-days': { type: 'string' },
  'shape-drift': { type: 'string' },
  'daily-quota': { type: 'string' },
  'latency-ms': { type: 'string' },
} as const;

function integerOption(
  name: string,
  raw: string | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`--${name} must be an integer ${range}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function shareOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!(/^\d*\.?\d+$/.test(raw) && Number(raw) <= 1))
    throw new UsageError(`--${name} must be a number from 0 to 1, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function choiceOption<T extends string>(name: string, raw: string | undefined, choices: readonly T[]): T | undefined {
  if (raw === undefined) return undefined;
  if (!choices.includes(raw as T))
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`);
  return raw as T;
}

function textOption(name: string, raw: string | undefined): string | undefined {
  if (raw === '') throw new UsageError(`--${name} must not be empty`);
  return raw;
}

function parseOptions(argv: string[]): SimulatorOptions {
  const { values } = parseCommandArgs('simulator', argv, OPTIONS, false);
  const faultRate = shareOption('fault-rate', values['fault-rate']);
  const drift = shareOption('shape-drift', values['shape-drift']);
  const servedDays = integerOption('served-days', values['served-days'], 1, MAX_SERVED_DAYS);
  const dataDays = integerOption('data-days', values['data-days'], 1, MAX_SERVED_DAYS);
  // Checked here so that the message names the flags, not the simulator's option names.
  if (dataDays !== undefined && dataDays < (servedDays ?? DEFAULT_SERVED_DAYS)) {
    throw new UsageError(
      `--data-days must be at least --served-days (${servedDays ?? DEFAULT_SERVED_DAYS}), got ${dataDays}`,
    );
  }
  const appCount = integerOption('apps', values.apps, 1, MAX_APPS);
  if (appCount !== undefined && (values.appid !== undefined || values.secret !== undefined)) {
    throw new UsageError('--apps generates each app its own AppID and secret: leave out --appid and --secret');
  }
  const options: SimulatorOptions = {
    appCount,
    port: integerOption('port', values.port, 0, 65_535),
    host: textOption('host', values.host),
    appid: textOption('appid', values.appid),
    secret: textOption('secret', values.secret),
    callsPerMinute: integerOption('calls-per-minute', values['calls-per-minute'], 1),
    intervalMs: integerOption('interval-ms', values['interval-ms'], 1),
    perDay: integerOption('per-day', values['per-day'], 0, 2_097_152),
    seed: integerOption('seed', values.seed, -Number.MAX_SAFE_INTEGER),
    faults: faultRate === undefined ? undefined : { rate: faultRate },
    maxPageSize: integerOption('max-page-size', values['max-page-size'], 1),
    pageSizeCapMode: choiceOption('page-size-cap-mode', values['page-size-cap-mode'], ['truncate', 'reject']),
    maxOffset: integerOption('max-offset', values['max-offset'], 1),
    order: choiceOption('order', values.order, RESULT_ORDERS),
    endtime: choiceOption('endtime', values.endtime, ['inclusive', 'exclusive']),
    servedDays,
    dataDays,
    // No flag sets missingTimestamp: without its timestamp an entry loses half its identity (traceid,
    // timestamp), a drill for tests to opt into rather than drift to run a demo under.
    shapeDrift:
      drift === undefined
        ? undefined
        : { objectMsg: drift, stringMsg: drift, numericStrings: drift, unknownFields: drift },
    dailyQuota: integerOption('daily-quota', values['daily-quota'], 0),
    latencyMs: integerOption('latency-ms', values['latency-ms'], 0),
  };
  // Leave unset options out, so the simulator's own defaults apply.
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

export const simulatorCommand: Command = {
  name: 'simulator',
  summary: 'run the built-in WeChat API simulator on loopback',
  help: `wxlog simulator [options]

Runs the built-in simulator of WeChat's realtime-log API (stable_token, cgi-bin/token,
userlog_search, get_scene, openapi/quota/get) with seeded data for the last 7 CST days (see
--served-days), until SIGTERM or Ctrl-C. Prints "listening on http://HOST:PORT" once it accepts
requests; point WXLOG_API_BASE there and use the same appid and secret.

With --apps N it serves N apps, each with its own secret, data, rate limit, daily quota and
tokens, and prints after the listening line one line "app APPID secret SECRET" per app, then
"token service http://HOST:PORT/token-service/token?appid={appid}": a central token service
(GET, answers {"access_token", "expires_in"}) to point WXLOG_TOKEN_URL at. Those secrets are
the simulator's own, made up from --seed: they open nothing but this simulator.

The options from --max-page-size on play behaviours WeChat's documents leave open; each is off
by default.

Options:
${optionsHelp([
  ['--port N', 'port to listen on; 0 picks a free one (default 0)'],
  ['--host HOST', 'address to bind (default 127.0.0.1; keep it on loopback)'],
  ['--appid ID', 'the AppID it accepts (default wxd0c0ffee12345678)'],
  ['--secret SECRET', 'the AppSecret it accepts (default simulator-secret)'],
  [
    '--apps N',
    'serve N apps (1 to 100000) instead of one, with AppIDs and fake secrets\nderived from --seed; the options below apply to each app',
  ],
  ['--calls-per-minute N', 'userlog_search calls allowed per interval before errcode 200010 (default 50)'],
  ['--interval-ms MS', 'that sliding interval in milliseconds (default 60000)'],
  ['--per-day N', 'entries per full CST day (default 200)'],
  ['--seed N', 'seed of the generated data; the same seed gives the same data (default 1)'],
  ['--latency-ms MS', 'handle every request MS milliseconds after it arrived, as a distant\nserver would (default 0)'],
  [
    '--fault-rate R',
    'share 0..1 of userlog_search responses that fail (errcode -1, HTTP 502,\nconnection reset, truncated JSON); default 0',
  ],
  [
    '--daily-quota N',
    'userlog_search calls answered per CST day, then errcode 45009\n(default unlimited; quota/get reports it)',
  ],
  ['--max-page-size N', 'largest limit served (default none)'],
  [
    '--page-size-cap-mode M',
    'above --max-page-size: reject (errcode 200002, the default) or truncate\n(serve at most N entries, silently)',
  ],
  ['--max-offset N', 'largest start served; from there on an empty list with the true total\n(default none)'],
  [
    '--order O',
    'order of list: newest (first, the default), oldest (first), or shuffled\n(unrelated to time, the same on every call)',
  ],
  ['--endtime E', 'inclusive (default) or exclusive: entries at exactly endtime are not served'],
  ['--served-days N', 'CST days served, today included, 1 to 60 (default 7); older dates answer\nerrcode 200002'],
  ['--data-days N', 'CST days that hold data, from --served-days to 60 (default --served-days)'],
  [
    '--shape-drift R',
    'share 0..1 of entries served in undocumented shapes, each kind at R:\nmsg an object, msg a string, numbers as strings, unknown fields',
  ],
])}`,
  async run(ctx: CommandContext) {
    const options = parseOptions(ctx.argv);
    const simulator = await startSimulator(options);
    try {
      ctx.stdout.write(`listening on ${simulator.url}\n`);
      const { appid, perDay, callsPerMinute, intervalMs } = simulator.options;
      const many = options.appCount !== undefined;
      if (many) {
        const lines = simulator.apps().map((app) => `app ${app.appid} secret ${app.secret}\n`);
        ctx.stdout.write(`${lines.join('')}token service ${simulator.tokenServiceUrl}\n`);
      }
      const served = many ? `${simulator.apps().length} apps, each with` : `appid ${appid},`;
      ctx.stderr.write(
        `wxlog simulator: ${served} ${perDay} entries a day, ${callsPerMinute} searches per ${intervalMs} ms; stop with Ctrl-C\n`,
      );
      await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) resolve();
        else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      await simulator.close();
    }
    return ExitCode.Ok;
  },
};
