import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { cstDayBounds } from '../../src/wechat/cst-day.js';
import { WechatClient } from '../../src/wechat/wechat-client.js';
import { tempDir } from '../helpers/temp-dir.js';
import { runCli, simulatorEnv } from './run-cli.js';
import { MIDDAY_CST_MS } from '../helpers/fixed-now.js';

// `wxlog quota` as a subprocess against the simulator over loopback.

const NOW_MS = MIDDAY_CST_MS;
const DAY = '20261121';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** A simulator with a daily quota of 40 and 9 calls per 30 s, of which `searches` are already used. */
async function simulatorWithUse(searches: number): Promise<Simulator> {
  const s = await startSimulator({
    now: () => NOW_MS,
    perDay: 30,
    dailyQuota: 40,
    callsPerMinute: 9,
    intervalMs: 30_000,
  });
  sim = s;
  const client = new WechatClient({
    apiBase: s.url,
    appid: s.options.appid,
    secret: s.options.secret,
    tokenMode: 'stable',
  });
  try {
    const { begin, end } = cstDayBounds(DAY);
    for (let i = 0; i < searches; i++)
      await client.searchLogs({ date: DAY, begintime: begin, endtime: end, start: i * 5, limit: 5 });
  } finally {
    await client.close();
  }
  expect(s.stats.searchServed).toBe(searches);
  return s;
}

describe('wxlog quota (subprocess)', () => {
  it("prints the simulator's quota and rate limits as aligned lines, and writes nothing", async () => {
    const s = await simulatorWithUse(3);
    const dir = tempDir();
    const result = await runCli(['quota'], simulatorEnv(s, dir));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      [
        `appid                   ${s.options.appid}`,
        'api                     /wxaapi/userlog/userlog_search',
        'daily limit             40',
        'used today              3',
        'remaining               37',
        'rate limit              9 calls per 30 s',
        'third-party rate limit  9 calls per 30 s',
        '',
      ].join('\n'),
    );
    expect(s.stats.quotaRequests).toBe(1);
    // Not a search: the search count and the database are untouched.
    expect(s.stats.searchArrivals).toHaveLength(3);
    expect(existsSync(join(dir, 'wxlog.db'))).toBe(false);
  });

  it("prints the simulator's numbers as one JSON object with --json", async () => {
    const s = await simulatorWithUse(2);
    s.setDailyQuota(30);
    const result = await runCli(['quota', '--json'], simulatorEnv(s, tempDir()));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(result.stdout)).toEqual({
      appid: s.options.appid,
      dailyLimit: 30,
      used: 2,
      remain: 28,
      rateLimit: { callCount: 9, refreshSecond: 30 },
      componentRateLimit: { callCount: 9, refreshSecond: 30 },
    });
  });

  it('exits 3 with one line naming what WeChat said on a wrong AppSecret, never printing it', async () => {
    const s = await simulatorWithUse(0);
    const result = await runCli(['quota'], simulatorEnv(s, tempDir(), { WXLOG_SECRET: 'not-the-secret-42' }));
    expect(result.status).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^wxlog quota: .*invalid AppSecret: errcode 40125/);
    expect(`${result.stdout}${result.stderr}`).not.toContain('not-the-secret-42');
    expect(s.stats.quotaRequests).toBe(0);
  });

  it('exits 3 on a refused outside token, never printing it', async () => {
    const s = await simulatorWithUse(0);
    const env = simulatorEnv(s, tempDir(), {
      WXLOG_ACCESS_TOKEN: 'outside-token-0123456789',
      WXLOG_LOG_LEVEL: 'error',
    });
    delete env['WXLOG_SECRET'];
    const result = await runCli(['quota'], env);
    expect(result.status).toBe(3);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^wxlog quota: .*WXLOG_ACCESS_TOKEN \(errcode 40001\)/);
    expect(`${result.stdout}${result.stderr}`).not.toContain('outside-token-0123456789');
    expect(s.stats.quotaRequests).toBe(1);
  });

  it('exits 2 with one line when WXLOG_APPID is missing', async () => {
    const s = await simulatorWithUse(0);
    const env = simulatorEnv(s, tempDir(), { WXLOG_SECRET: 's3cr3t-value' });
    delete env['WXLOG_APPID'];
    const result = await runCli(['quota'], env);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'wxlog quota: WXLOG_APPID: required to talk to WeChat; set it or "appid" in the config file\n',
    );
    expect(s.stats.tokenRequests.stable).toBe(0);
  });

  it('exits 1 with the last failure when WeChat cannot be reached, after the retries', async () => {
    const s = await simulatorWithUse(0);
    const env = simulatorEnv(s, tempDir(), { WXLOG_LOG_LEVEL: 'error' });
    await s.close();
    const result = await runCli(['quota'], env);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^wxlog quota: stable_token: request failed: ECONNREFUSED.*\n$/);
  });

  it('is documented by --help and listed after scenes by wxlog --help', async () => {
    const help = await runCli(['quota', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^wxlog quota \[options\]/);
    expect(help.stdout).toContain('getApiQuota');
    expect(help.stdout).toContain('--json');
    const all = await runCli(['--help']);
    expect(all.stdout).toMatch(
      /\n {2}scenes .*\n {2}quota {2,}daily quota and rate limit of userlog_search \(getApiQuota\)\n/,
    );
  });

  it('refuses an unknown option with exit 2', async () => {
    const result = await runCli(['quota', '--db', 'x.db']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('wxlog quota: unknown option --db; see `wxlog quota --help`\n');
  });
});
