import { describe, expect, it } from 'vitest';
import { envSettings, RESERVED_ENV_NAMES } from '../../src/config/env-settings.js';
import { unknownEnvWarnings } from '../../src/config/unknown-env.js';

describe('unknownEnvWarnings', () => {
  it('names an unknown WXLOG_* variable and the nearest real one', () => {
    expect(unknownEnvWarnings({ WXLOG_PAGESIZE: '500' })).toEqual([
      'WXLOG_PAGESIZE is not a wxlog setting and is ignored; did you mean WXLOG_PAGE_SIZE?',
    ]);
    expect(unknownEnvWarnings({ WXLOG_LOOKBAK_DAYS: '3', WXLOG_SECERT: 'x' })).toEqual([
      'WXLOG_LOOKBAK_DAYS is not a wxlog setting and is ignored; did you mean WXLOG_LOOKBACK_DAYS?',
      'WXLOG_SECERT is not a wxlog setting and is ignored; did you mean WXLOG_SECRET?',
    ]);
  });

  it('points at the settings page when nothing is near', () => {
    expect(unknownEnvWarnings({ WXLOG_COLOUR_SCHEME: 'dark' })).toEqual([
      'WXLOG_COLOUR_SCHEME is not a wxlog setting and is ignored; see docs/configuration.md for the settings',
    ]);
  });

  it('says nothing of real settings, reserved names or other variables', () => {
    const env: Record<string, string> = { PATH: '/bin', HOME: '/root', WXLOGGER: '1' };
    for (const s of envSettings) env[s.name] = 'x';
    for (const name of RESERVED_ENV_NAMES) env[name] = 'x';
    expect(unknownEnvWarnings(env)).toEqual([]);
    expect(RESERVED_ENV_NAMES).toEqual(['WXLOG_CONFIG']);
    expect(envSettings.map((s) => s.name)).toEqual(
      expect.arrayContaining([
        'WXLOG_APPS_FILE',
        'WXLOG_TOKEN_URL',
        'WXLOG_TOKEN_COMMAND',
        'WXLOG_CONCURRENCY',
        'WXLOG_METRICS_ADDR',
      ]),
    );
  });
});
