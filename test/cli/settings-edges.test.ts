import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { runCli } from './run-cli.js';

describe('settings that cannot break the promise (subprocess)', () => {
  it('refuses a rate interval under a minute against WeChat: one line, exit 2', async () => {
    const dir = tempDir();
    const result = await runCli(['run'], {
      WXLOG_APPID: 'wx1',
      WXLOG_SECRET: 's',
      WXLOG_DB: join(dir, 'x.db'),
      WXLOG_RATE_INTERVAL_MS: '1000',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^wxlog run: WXLOG_RATE_INTERVAL_MS: must be at least 60000 [^\n]*\n$/);
  });

  it('warns once, in one line, of an unknown WXLOG_* variable and names the real one', async () => {
    const dir = tempDir();
    const result = await runCli(['status', '--db', join(dir, 'none.db')], {
      WXLOG_PAGESIZE: '500',
      WXLOG_TOKEN_URL: 'http://x/{appid}',
    });
    expect(result.status).toBe(2);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'wxlog: warning: WXLOG_PAGESIZE is not a wxlog setting and is ignored; did you mean WXLOG_PAGE_SIZE?',
    );
    expect(lines.slice(1).join('\n')).not.toMatch(/warning/);
  });
});
