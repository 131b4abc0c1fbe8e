import { parseArgs } from 'node:util';
import { startSimulator, type SimulatorOptions } from '../../simulator/simulator.js';
import { UsageError, type Command, type CommandContext } from '../command.js';
import { ExitCode } from '../exit-codes.js';

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  appid: { type: 'string' },
  secret: { type: 'string' },
  'calls-per-minute': { type: 'string' },
  'interval-ms': { type: 'string' },
  'per-day': { type: 'string' },
  seed: { type: 'string' },
  'fault-rate': { type: 'string' },
  'max-page-size': { type: 'string' },
  'max-offset': { type: 'string' },
} as const;

function integerOption(name: string, raw: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`--${name} must be an integer ${range}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function textOption(name: string, raw: string | undefined): string | undefined {
  if (raw === '') throw new UsageError(`--${name} must not be empty`);
  return raw;
}

function parseOptions(argv: string[]): SimulatorOptions {
  let values: { [K in keyof typeof OPTIONS]?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true }));
  } catch (e: unknown) {
    throw new UsageError(e instanceof Error ? e.message : String(e), { cause: e });
  }
  const faultRate = values['fault-rate'];
  if (faultRate !== undefined && !(/^\d*\.?\d+$/.test(faultRate) && Number(faultRate) <= 1)) {
    throw new UsageError(`--fault-rate must be a number from 0 to 1, got ${JSON.stringify(faultRate)}`);
  }
  const options: SimulatorOptions = {
    port: integerOption('port', values.port, 0, 65_535),
    host: textOption('host', values.host),
    appid: textOption('appid', values.appid),
    secret: textOption('secret', values.secret),
    callsPerMinute: integerOption('calls-per-minute', values['calls-per-minute'], 1),
    intervalMs: integerOption('interval-ms', values['interval-ms'], 1),
    perDay: integerOption('per-day', values['per-day'], 0, 2_097_152),
    seed: integerOption('seed', values.seed, -Number.MAX_SAFE_INTEGER),
    faults: faultRate === undefined ? undefined : { rate: Number(faultRate) },
    maxPageSize: integerOption('max-page-size', values['max-page-size'], 1),
    maxOffset: integerOption('max-offset', values['max-offset'], 1),
  };
  // Leave unset options out, so the simulator's own defaults apply.
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as SimulatorOptions;
}

export const simulatorCommand: Command = {
  name: 'simulator',
  summary: 'run the built-in WeChat API simulator on loopback',
  help: `wxlog simulator [options]

Runs the built-in simulator of WeChat's realtime-log API (stable_token, cgi-bin/token,
userlog_search, get_scene) with seeded data for the last 7 CST days, until SIGTERM or Ctrl-C.
Prints "listening on http://HOST:PORT" once it accepts requests; point WXLOG_API_BASE there
and use the same appid and secret.

Options:
  --port N               port to listen on; 0 picks a free one (default 0)
  --host HOST            address to bind (default 127.0.0.1; keep it on loopback)
  --appid ID             the AppID it accepts (default wxd0c0ffee12345678)
  --secret SECRET        the AppSecret it accepts (default simulator-secret)
  --calls-per-minute N   userlog_search calls allowed per interval before errcode 200010 (default 50)
  --interval-ms MS       that sliding interval in milliseconds (default 60000)
  --per-day N            entries per full CST day (default 200)
  --seed N               seed of the generated data; the same seed gives the same data (default 1)
  --fault-rate R         share 0..1 of userlog_search responses that fail (errcode -1, HTTP 502,
                         connection reset, truncated JSON); default 0
  --max-page-size N      largest limit accepted; larger ones answer errcode 200002 (default none)
  --max-offset N         largest start served; from there on an empty list with the true total
                         (default none)`,
  async run(ctx: CommandContext) {
    const options = parseOptions(ctx.argv);
    const simulator = await startSimulator(options);
    try {
      ctx.stdout.write(`listening on ${simulator.url}\n`);
      const { appid, perDay, callsPerMinute, intervalMs } = simulator.options;
      ctx.stderr.write(
        `wxlog simulator: appid ${appid}, ${perDay} entries a day, ${callsPerMinute} searches per ${intervalMs} ms; stop with Ctrl-C\n`,
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
