import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import type { Config } from '../../src/config/config-schema.js';
import { loadConfig, type LoadPurpose } from '../../src/config/load-config.js';

let dir: string;
let fileCount = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wxlog-config-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes a config file into the temp dir and returns its name relative to it. */
function configFile(content: unknown): string {
  fileCount += 1;
  const name = `wxlog-${fileCount}.json`;
  writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return name;
}

function load(env: Record<string, string | undefined>, file?: unknown, purpose: LoadPurpose = 'local'): Config {
  return loadConfig({ env, cwd: dir, ...(file === undefined ? {} : { configFile: configFile(file) }) }, purpose);
}

function refusal(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e: unknown) {
    expect(e).toBeInstanceOf(ConfigError);
    const error = e as ConfigError;
    expect(error.name).toBe('ConfigError');
    expect(error.message).not.toContain('\n');
    return error;
  }
  throw new Error('expected a ConfigError, but the config loaded');
}

const upstream = { WXLOG_APPID: 'wx1234567890abcdef', WXLOG_SECRET: 'an-app-secret' };

function pick(config: Config, key: string): unknown {
  const [head, sub] = key.split('.') as [keyof Config, string | undefined];
  const value = config[head];
  return sub === undefined ? value : (value as Record<string, unknown>)[sub];
}

interface SettingCase {
  key: string;
  env: string;
  /** Absent when the setting has no default. */
  defaultValue?: unknown;
  envValue: string;
  fromEnv: unknown;
  fileValue: unknown;
  fromFile: unknown;
  /** Absent when no non-empty text is wrong for it (empty env values count as unset). */
  badEnv?: string;
  badFile: unknown;
  rule: string;
}

const cases: SettingCase[] = [
  {
    key: 'appid',
    env: 'WXLOG_APPID',
    envValue: 'wxaaaaaaaaaaaaaaaa',
    fromEnv: 'wxaaaaaaaaaaaaaaaa',
    fileValue: 'wxbbbbbbbbbbbbbbbb',
    fromFile: 'wxbbbbbbbbbbbbbbbb',
    badEnv: 'wx aaaa',
    badFile: 1234,
    rule: 'must be the AppID without spaces',
  },
  {
    key: 'tokenMode',
    env: 'WXLOG_TOKEN_MODE',
    defaultValue: 'stable',
    envValue: 'Classic',
    fromEnv: 'classic',
    fileValue: 'classic',
    fromFile: 'classic',
    badEnv: 'oauth',
    badFile: 'token',
    rule: 'must be "stable", "classic", "static", "url" or "command"',
  },
  {
    key: 'apiBase',
    env: 'WXLOG_API_BASE',
    defaultValue: 'https://api.weixin.qq.com',
    envValue: 'http://127.0.0.1:8080/',
    fromEnv: 'http://127.0.0.1:8080',
    fileValue: 'https://wx-proxy.example.com:443/',
    fromFile: 'https://wx-proxy.example.com',
    badEnv: 'https://api.weixin.qq.com/wxaapi/userlog/userlog_search',
    badFile: 'ftp://api.weixin.qq.com',
    rule: 'must be an http(s) origin',
  },
  {
    key: 'db',
    env: 'WXLOG_DB',
    envValue: 'elsewhere/logs.db',
    fromEnv: '', // resolved against cwd: filled in below
    fileValue: '/var/lib/wxlog/wxlog.db',
    fromFile: resolve('/var/lib/wxlog/wxlog.db'),
    badFile: '',
    rule: 'must be a non-empty file path',
  },
  {
    key: 'callsPerMinute',
    env: 'WXLOG_CALLS_PER_MINUTE',
    defaultValue: 45,
    envValue: '49',
    fromEnv: 49,
    fileValue: 1,
    fromFile: 1,
    badEnv: '50',
    badFile: 0,
    rule: 'must be an integer from 1 to 49 (WeChat allows 50 a minute)',
  },
  {
    key: 'rateIntervalMs',
    env: 'WXLOG_RATE_INTERVAL_MS',
    defaultValue: 60_000,
    envValue: ' 120000 ',
    fromEnv: 120_000,
    fileValue: 90_000,
    fromFile: 90_000,
    badEnv: '99',
    badFile: 250.5,
    rule: 'must be an integer number of milliseconds, at least 100',
  },
  {
    key: 'lookbackDays',
    env: 'WXLOG_LOOKBACK_DAYS',
    defaultValue: 7,
    envValue: '1',
    fromEnv: 1,
    fileValue: 3,
    fromFile: 3,
    badEnv: '31',
    badFile: 0,
    rule: 'must be an integer from 1 to 30',
  },
  {
    key: 'pageSize',
    env: 'WXLOG_PAGE_SIZE',
    defaultValue: 1000,
    envValue: '500',
    fromEnv: 500,
    fileValue: 20,
    fromFile: 20,
    badEnv: '1e3',
    badFile: '100',
    rule: 'must be an integer from 1 to 1000',
  },
  {
    key: 'filters.level',
    env: 'WXLOG_LEVEL',
    envValue: 'WARN',
    fromEnv: 4,
    fileValue: 'error',
    fromFile: 8,
    badEnv: '3',
    badFile: 1,
    rule: 'must be 2, 4 or 8, or "info", "warn" or "error"',
  },
  {
    key: 'filters.filterMsg',
    env: 'WXLOG_FILTER_MSG',
    envValue: 'pay-flow',
    fromEnv: 'pay-flow',
    fileValue: '支付',
    fromFile: '支付',
    badFile: '',
    rule: 'must be a non-empty string',
  },
  {
    key: 'filters.url',
    env: 'WXLOG_URL',
    envValue: 'pages/index/index',
    fromEnv: 'pages/index/index',
    fileValue: 'pages/pay/pay',
    fromFile: 'pages/pay/pay',
    badFile: ['pages/index/index'],
    rule: 'must be a non-empty string',
  },
  {
    key: 'filters.openid',
    env: 'WXLOG_OPENID',
    envValue: 'oAbCdEfGhIjKlMnOpQrStUvWxYz0',
    fromEnv: 'oAbCdEfGhIjKlMnOpQrStUvWxYz0',
    fileValue: 'o9876543210zyxwvutsrqponmlkj',
    fromFile: 'o9876543210zyxwvutsrqponmlkj',
    badFile: null,
    rule: 'must be a non-empty string',
  },
  {
    key: 'filters.traceId',
    env: 'WXLOG_TRACE_ID',
    envValue: 'trace-1',
    fromEnv: 'trace-1',
    fileValue: 'trace-2',
    fromFile: 'trace-2',
    badFile: 42,
    rule: 'must be a non-empty string',
  },
  {
    key: 'schedule',
    env: 'WXLOG_SCHEDULE',
    defaultValue: '*/10 * * * *',
    envValue: '30 */5 * * * *',
    fromEnv: '30 */5 * * * *',
    fileValue: '0 3 * * 1-5',
    fromFile: '0 3 * * 1-5',
    badEnv: '61 * * * *',
    badFile: '@hourly',
    rule: 'must be a cron expression of 5 fields, or 6 with seconds first',
  },
  {
    key: 'concurrency',
    env: 'WXLOG_CONCURRENCY',
    defaultValue: 32,
    envValue: '256',
    fromEnv: 256,
    fileValue: 1,
    fromFile: 1,
    badEnv: '257',
    badFile: 0,
    rule: 'must be an integer from 1 to 256',
  },
  {
    key: 'metricsAddr',
    env: 'WXLOG_METRICS_ADDR',
    envValue: ' [::1]:9464 ',
    fromEnv: { host: '::1', port: 9464 },
    fileValue: '0.0.0.0:0',
    fromFile: { host: '0.0.0.0', port: 0 },
    badEnv: 'localhost:65536',
    badFile: 9464,
    rule: 'must be host:port with a port from 0 to 65535',
  },
  {
    key: 'leaseTtlMs',
    env: 'WXLOG_LEASE_TTL_MS',
    defaultValue: 30_000,
    envValue: '3000',
    fromEnv: 3000,
    fileValue: 3_600_000,
    fromFile: 3_600_000,
    badEnv: '999',
    badFile: 3_600_001,
    rule: 'must be an integer number of milliseconds from 1000 to 3600000',
  },
  {
    key: 'logLevel',
    env: 'WXLOG_LOG_LEVEL',
    defaultValue: 'info',
    envValue: 'DEBUG',
    fromEnv: 'debug',
    fileValue: 'error',
    fromFile: 'error',
    badEnv: 'verbose',
    badFile: 'trace',
    rule: 'must be "debug", "info", "warn" or "error"',
  },
];

function fileFor(key: string, value: unknown): Record<string, unknown> {
  const [head, sub] = key.split('.') as [string, string | undefined];
  return sub === undefined ? { [head]: value } : { [head]: { [sub]: value } };
}

describe.each(cases)('setting $key', (c) => {
  it('has its default when neither file nor environment set it', () => {
    const config = load({});
    if (c.key === 'db') expect(config.db).toBe(join(dir, 'data', 'wxlog.db'));
    else expect(pick(config, c.key)).toEqual(c.defaultValue ?? (c.key === 'appid' ? '' : undefined));
  });

  it('takes its value from the environment', () => {
    const expected = c.key === 'db' ? join(dir, c.envValue) : c.fromEnv;
    expect(pick(load({ [c.env]: c.envValue }), c.key)).toEqual(expected);
  });

  it('takes its value from the config file', () => {
    expect(pick(load({}, fileFor(c.key, c.fileValue)), c.key)).toEqual(c.fromFile);
  });

  it('refuses a bad file value, naming the key, the file and the value', () => {
    const file = configFile(fileFor(c.key, c.badFile));
    const error = refusal(() => loadConfig({ env: {}, cwd: dir, configFile: file }, 'local'));
    expect(error.setting).toBe(c.key);
    expect(error.message.startsWith(`${c.key} in ${file}: `)).toBe(true);
    expect(error.message).toContain(c.rule);
    expect(error.message).toContain(`got ${JSON.stringify(c.badFile)}`);
  });
});

// Free-text settings have no env refusal: any non-empty text is a valid filter or path, and empty means unset.
describe.each(cases.filter((c) => c.badEnv !== undefined))('setting $key from the environment', (c) => {
  it('refuses a bad env value, naming the variable and the value', () => {
    const error = refusal(() => load({ [c.env]: c.badEnv }));
    expect(error.setting).toBe(c.env);
    expect(error.message.startsWith(`${c.env}: `)).toBe(true);
    expect(error.message).toContain(c.rule);
    expect(error.message).toContain(`got ${JSON.stringify(c.badEnv)}`);
  });
});

describe('messages', () => {
  it('says exactly what is wrong with a budget WeChat would refuse', () => {
    const error = refusal(() => load({ WXLOG_CALLS_PER_MINUTE: '60' }));
    expect(error.message).toBe(
      'WXLOG_CALLS_PER_MINUTE: must be an integer from 1 to 49 (WeChat allows 50 a minute), got "60"',
    );
  });

  it('refuses text where a number is expected', () => {
    expect(refusal(() => load({ WXLOG_PAGE_SIZE: 'lots' })).message).toContain('got "lots"');
    expect(refusal(() => load({ WXLOG_LOOKBACK_DAYS: '2.5' })).message).toContain('must be an integer from 1 to 30');
  });

  it('explains which part of a cron expression is wrong', () => {
    expect(refusal(() => load({ WXLOG_SCHEDULE: '0 25 * * *' })).message).toContain('hour field is invalid');
    expect(refusal(() => load({ WXLOG_SCHEDULE: '* * * * * * *' })).message).toContain('it has 7 fields');
  });
});

describe('precedence', () => {
  it('lets the environment override the file, and the file override the defaults', () => {
    const file = { pageSize: 200, lookbackDays: 3, logLevel: 'warn' };
    const config = load({ WXLOG_PAGE_SIZE: '300' }, file);
    expect(config.pageSize).toBe(300);
    expect(config.lookbackDays).toBe(3);
    expect(config.logLevel).toBe('warn');
    expect(config.callsPerMinute).toBe(45);
  });

  it('counts empty and blank env values as unset', () => {
    const config = load({ WXLOG_PAGE_SIZE: '', WXLOG_LOOKBACK_DAYS: '  ', WXLOG_CONFIG: '' }, { pageSize: 200 });
    expect(config.pageSize).toBe(200);
    expect(config.lookbackDays).toBe(7);
  });

  it('merges filters from the file and the environment one by one', () => {
    const config = load({ WXLOG_LEVEL: 'error' }, { filters: { level: 2, url: 'pages/pay/pay' } });
    expect(config.filters).toEqual({ level: 8, url: 'pages/pay/pay' });
  });

  it('has no filters by default', () => {
    expect(load({}).filters).toEqual({});
  });

  it('reads the file named by WXLOG_CONFIG, and prefers --config to it', () => {
    const fromEnv = configFile({ pageSize: 11 });
    const fromOption = configFile({ pageSize: 22 });
    expect(loadConfig({ env: { WXLOG_CONFIG: fromEnv }, cwd: dir }, 'local').pageSize).toBe(11);
    expect(loadConfig({ env: { WXLOG_CONFIG: fromEnv }, cwd: dir, configFile: fromOption }, 'local').pageSize).toBe(22);
  });

  it('resolves the config file and the database against cwd', () => {
    mkdirSync(join(dir, 'nested'), { recursive: true });
    writeFileSync(join(dir, 'nested', 'conf.json'), JSON.stringify({ db: 'db/x.db' }));
    const config = loadConfig({ env: {}, cwd: join(dir, 'nested'), configFile: 'conf.json' }, 'local');
    expect(config.db).toBe(join(dir, 'nested', 'db', 'x.db'));
  });

  it('reads the file through the readFile it is given', () => {
    const seen: string[] = [];
    const readFile = (path: string): string => {
      seen.push(path);
      return '{"pageSize": 7}';
    };
    const config = loadConfig({ env: {}, cwd: '/srv/app', configFile: 'conf/wxlog.json', readFile }, 'local');
    expect(config.pageSize).toBe(7);
    expect(seen).toEqual([resolve('/srv/app', 'conf/wxlog.json')]);
  });

  it('ignores WXLOG_ variables it does not know', () => {
    expect(load({ WXLOG_PAGESIZE: '5', WXLOG_SOMETHING: 'x' }).pageSize).toBe(1000);
  });

  it('allows "$schema" in the file', () => {
    expect(load({}, { $schema: './wxlog.schema.json', pageSize: 5 }).pageSize).toBe(5);
  });
});

describe('the config file', () => {
  it('refuses unknown keys and suggests the right one', () => {
    const file = configFile({ pagesize: 100 });
    const error = refusal(() => loadConfig({ env: {}, cwd: dir, configFile: file }, 'local'));
    expect(error.setting).toBe('pagesize');
    expect(error.message).toBe(`pagesize in ${file}: unknown setting; did you mean "pageSize"?`);
  });

  it('suggests keys for env-style names, nested typos and filters put at the top level', () => {
    expect(refusal(() => load({}, { WXLOG_LOOKBACK_DAYS: 3 })).message).toContain('did you mean "lookbackDays"?');
    const nested = refusal(() => load({}, { filters: { levle: 4 } }));
    expect(nested.setting).toBe('filters.levle');
    expect(nested.message).toContain('did you mean "level" inside "filters"?');
    expect(refusal(() => load({}, { url: 'pages/a' })).message).toContain('did you mean "url" inside "filters"?');
  });

  it('refuses an unknown key with nothing close without guessing', () => {
    const error = refusal(() => load({}, { retention: 30 }));
    expect(error.message).toContain('retention in ');
    expect(error.message).toContain('unknown setting');
    expect(error.message).not.toContain('did you mean');
  });

  it('reports a missing file, naming it and where it came from', () => {
    const error = refusal(() => loadConfig({ env: { WXLOG_CONFIG: 'nope.json' }, cwd: dir }, 'local'));
    expect(error.setting).toBe('WXLOG_CONFIG');
    expect(error.message).toBe('config file nope.json (from WXLOG_CONFIG): no such file');
    const viaOption = refusal(() => loadConfig({ env: {}, cwd: dir, configFile: 'nope.json' }, 'local'));
    expect(viaOption.setting).toBe('--config');
  });

  it('reports a directory given as the file', () => {
    mkdirSync(join(dir, 'a-dir'), { recursive: true });
    expect(refusal(() => loadConfig({ env: {}, cwd: dir, configFile: 'a-dir' }, 'local')).message).toContain(
      'a-dir (from --config): is a directory',
    );
  });

  it('reports invalid JSON with its line and column', () => {
    const file = configFile('{\n  "pageSize": 100,\n}\n');
    const error = refusal(() => loadConfig({ env: {}, cwd: dir, configFile: file }, 'local'));
    expect(error.message).toMatch(
      new RegExp(`^config file ${file} \\(from --config\\): is not valid JSON: .*line 3, column 1$`),
    );
  });

  it('refuses an empty file and a file that is not an object', () => {
    expect(refusal(() => load({}, '')).message).toContain('is empty');
    expect(refusal(() => load({}, '[1, 2]')).message).toContain('must hold a JSON object of settings, got an array');
    expect(refusal(() => load({}, 'null')).message).toContain('got null');
  });

  it('accepts a file that starts with a byte-order mark', () => {
    expect(load({}, '\uFEFF{"pageSize": 9}').pageSize).toBe(9);
  });
});

describe('secrets', () => {
  const secret = 'S3cr3tAppSecretValue';
  const token = 'ACCESS_TOKEN_VALUE_123';

  const attempts: Array<[string, () => unknown]> = [
    ['a secret with a space in the environment', () => load({ WXLOG_SECRET: `${secret} x` })],
    ['a token with a line break in the environment', () => load({ WXLOG_ACCESS_TOKEN: `${token}\n` })],
    ['a secret of the wrong shape in the file', () => load({}, { secret: `${secret} ${secret}` })],
    ['a token of the wrong shape in the file', () => load({}, { accessToken: `${token}\t` })],
    ['invalid JSON right after the secret', () => load({}, `{"secret": "${secret}" "pageSize": 1}`)],
    ['invalid JSON inside the secret', () => load({}, `{"secret": "${secret}\u0001"}`)],
    ['a conflicting token mode', () => load({ WXLOG_ACCESS_TOKEN: token, WXLOG_TOKEN_MODE: 'stable' })],
    ['a file conflict', () => load({ WXLOG_SECRET: secret }, { accessToken: token, tokenMode: 'classic' })],
    ['a missing appid', () => load({ WXLOG_SECRET: secret, WXLOG_ACCESS_TOKEN: token }, undefined, 'upstream')],
  ];

  it.each(attempts)('are never echoed: %s', (_name, attempt) => {
    const error = refusal(attempt);
    expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain(token);
  });

  it('come from the file or the environment, the environment winning', () => {
    expect(load({}, { secret }).secret).toBe(secret);
    expect(load({ WXLOG_SECRET: 'from-env' }, { secret }).secret).toBe('from-env');
    expect(load({}, { accessToken: token }).accessToken).toBe(token);
    expect(load({ WXLOG_ACCESS_TOKEN: 'from-env' }, { accessToken: token }).accessToken).toBe('from-env');
  });

  it('still names the setting at fault', () => {
    expect(refusal(() => load({ WXLOG_SECRET: `${secret} x` })).message).toBe(
      'WXLOG_SECRET: must be a non-empty string without spaces or line breaks',
    );
  });
});

describe('token mode', () => {
  it('is stable with an appid and a secret', () => {
    const config = load(upstream, undefined, 'upstream');
    expect(config).toMatchObject({ appid: upstream.WXLOG_APPID, secret: upstream.WXLOG_SECRET, tokenMode: 'stable' });
    expect(config.accessToken).toBeUndefined();
  });

  it('becomes static when an access token is given, with no secret needed', () => {
    const config = load({ WXLOG_APPID: 'wx1', WXLOG_ACCESS_TOKEN: 'tok' }, undefined, 'upstream');
    expect(config.tokenMode).toBe('static');
    expect(config.accessToken).toBe('tok');
    expect(config.secret).toBeUndefined();
    expect(load({ WXLOG_APPID: 'wx1' }, { accessToken: 'tok' }, 'upstream').tokenMode).toBe('static');
    expect(
      load({ WXLOG_APPID: 'wx1', WXLOG_TOKEN_MODE: 'static', WXLOG_ACCESS_TOKEN: 'tok' }, undefined, 'upstream')
        .tokenMode,
    ).toBe('static');
  });

  it('refuses an explicit token mode that contradicts the access token', () => {
    const fromEnv = refusal(() => load({ ...upstream, WXLOG_ACCESS_TOKEN: 'tok', WXLOG_TOKEN_MODE: 'classic' }));
    expect(fromEnv.setting).toBe('WXLOG_TOKEN_MODE');
    expect(fromEnv.message).toBe(
      'WXLOG_TOKEN_MODE: "classic" conflicts with WXLOG_ACCESS_TOKEN, which implies "static"; remove one of them',
    );
    const file = configFile({ tokenMode: 'stable' });
    const fromFile = refusal(() => loadConfig({ env: { WXLOG_ACCESS_TOKEN: 'tok' }, cwd: dir, configFile: file }));
    expect(fromFile.setting).toBe('tokenMode');
    expect(fromFile.message).toContain(`tokenMode in ${file}: "stable" conflicts with WXLOG_ACCESS_TOKEN`);
  });

  it('needs an access token in static mode', () => {
    const error = refusal(() => load({ WXLOG_APPID: 'wx1', WXLOG_TOKEN_MODE: 'static' }, undefined, 'upstream'));
    expect(error.setting).toBe('WXLOG_ACCESS_TOKEN');
    expect(error.message).toContain('WXLOG_TOKEN_MODE is "static"');
  });

  it('needs a secret in the stable and classic modes', () => {
    for (const mode of ['stable', 'classic']) {
      const error = refusal(() => load({ WXLOG_APPID: 'wx1', WXLOG_TOKEN_MODE: mode }, undefined, 'upstream'));
      expect(error.setting).toBe('WXLOG_SECRET');
      expect(error.message).toContain(`"${mode}" token mode`);
    }
  });
});

describe('purpose', () => {
  it('needs an appid to talk to WeChat', () => {
    const error = refusal(() => load({ WXLOG_SECRET: 's' }, undefined, 'upstream'));
    expect(error.setting).toBe('WXLOG_APPID');
    expect(error.message).toContain('WXLOG_APPID: required');
  });

  it('is upstream unless told otherwise', () => {
    expect(() => loadConfig({ env: {}, cwd: dir })).toThrow(ConfigError);
  });

  it('lets local commands run without appid or credentials', () => {
    const config = load({}, undefined, 'local');
    expect(config.appid).toBe('');
    expect(config.secret).toBeUndefined();
    expect(config.tokenMode).toBe('stable');
    expect(load({ WXLOG_TOKEN_MODE: 'static' }, undefined, 'local').tokenMode).toBe('static');
  });

  it('still validates every value for local commands', () => {
    expect(refusal(() => load({ WXLOG_PAGE_SIZE: '0' }, undefined, 'local')).setting).toBe('WXLOG_PAGE_SIZE');
  });
});
