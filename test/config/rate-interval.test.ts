import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfig } from '../../src/config/load-config.js';
import { isLoopbackHost } from '../../src/config/loopback-host.js';

function load(env: Record<string, string>, readFile?: (path: string) => string) {
  return loadConfig({ env, cwd: '/tmp', ...(readFile ? { configFile: 'wxlog.json', readFile } : {}) }, 'local');
}

function refusal(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e: unknown) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).not.toContain('\n');
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('a rate interval shorter than a minute', () => {
  it('is refused against WeChat or a proxy, naming the setting and the API base', () => {
    const error = refusal(() => load({ WXLOG_RATE_INTERVAL_MS: '1000' }));
    expect(error.setting).toBe('WXLOG_RATE_INTERVAL_MS');
    expect(error.message).toBe(
      'WXLOG_RATE_INTERVAL_MS: must be at least 60000 (WeChat counts calls per minute) unless the API base is a loopback ' +
        'address (the simulator); the API base is https://api.weixin.qq.com, got 1000',
    );
    const proxy = refusal(() => load({ WXLOG_RATE_INTERVAL_MS: '59999', WXLOG_API_BASE: 'http://10.0.0.7:8080' }));
    expect(proxy.message).toContain('WXLOG_API_BASE is http://10.0.0.7:8080');
  });

  it('is refused from the config file too, named by its key', () => {
    const error = refusal(() =>
      load({}, () => JSON.stringify({ rateIntervalMs: 500, apiBase: 'https://proxy.example.com' })),
    );
    expect(error.setting).toBe('rateIntervalMs');
    expect(error.message).toMatch(
      /^rateIntervalMs in wxlog\.json: must be at least 60000 .*apiBase in wxlog\.json is https:\/\/proxy\.example\.com, got 500$/,
    );
  });

  it('is allowed against a loopback address, the time-scaled simulator', () => {
    for (const base of ['http://127.0.0.1:4000', 'http://127.8.9.10', 'http://localhost:3000', 'http://[::1]:3000']) {
      expect(load({ WXLOG_RATE_INTERVAL_MS: '1000', WXLOG_API_BASE: base }).rateIntervalMs).toBe(1000);
    }
    expect(load({ WXLOG_RATE_INTERVAL_MS: '60000' }).rateIntervalMs).toBe(60_000);
  });
});

describe('isLoopbackHost', () => {
  it('knows 127.0.0.0/8, localhost and [::1], and nothing else', () => {
    expect(['127.0.0.1', '127.255.255.254', 'localhost', 'LOCALHOST', '[::1]'].every(isLoopbackHost)).toBe(true);
    expect(
      [
        '128.0.0.1',
        '127.0.0.256',
        'localhost.example.com',
        '127.0.0.1.nip.io',
        '[::2]',
        '0.0.0.0',
        'api.weixin.qq.com',
      ].some(isLoopbackHost),
    ).toBe(false);
  });
});
