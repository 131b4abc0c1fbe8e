import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cstDayBounds, cstDayOf } from '../../src/wechat/cst-day.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = `${root}dist/cli/main.js`;

let child: ChildProcessWithoutNullStreams | undefined;

beforeAll(() => {
  // `npm test` builds dist/ before vitest starts; rebuilding here would rewrite files other test files are running.
  expect(existsSync(main), 'build first: npm run build').toBe(true);
});

afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
});

function wxlog(args: string[]): {
  process: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
} {
  const proc = spawn(process.execPath, [main, ...args], { cwd: root, env: { ...process.env, TZ: 'America/New_York' } });
  child = proc;
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { process: proc, stdout: () => stdout, stderr: () => stderr, exit };
}

async function waitFor(read: () => string, pattern: RegExp, ms = 15_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const match = pattern.exec(read());
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; got ${JSON.stringify(read())}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('wxlog simulator', () => {
  it('prints the listening line, serves a token and a search, and exits 0 on SIGTERM', async () => {
    const run = wxlog(['simulator', '--port', '0', '--per-day', '50', '--appid', 'wxtest0000000001', '--secret', 's3']);
    const [line, url] = await waitFor(run.stdout, /^listening on (http:\/\/127\.0\.0\.1:\d+)\n/);
    expect(run.stdout()).toBe(line);

    const tokenRes = (await (
      await fetch(`${url}/cgi-bin/stable_token`, {
        method: 'POST',
        body: JSON.stringify({ grant_type: 'client_credential', appid: 'wxtest0000000001', secret: 's3' }),
      })
    ).json()) as { access_token: string };
    expect(typeof tokenRes.access_token).toBe('string');

    // Yesterday (CST) is complete: all 50 entries of it exist whatever the time of day.
    const yesterday = cstDayOf(Date.now() / 1000 - 86_400);
    const { begin, end } = cstDayBounds(yesterday);
    const query = new URLSearchParams({
      access_token: tokenRes.access_token,
      date: yesterday,
      begintime: String(begin),
      endtime: String(end),
      limit: '5',
    });
    const searchRes = (await (await fetch(`${url}/wxaapi/userlog/userlog_search?${query.toString()}`)).json()) as {
      errcode: number;
      data: { list: unknown[]; total: number };
    };
    expect(searchRes.errcode).toBe(0);
    expect(searchRes.data.total).toBe(50);
    expect(searchRes.data.list).toHaveLength(5);

    run.process.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(run.stdout()).toBe(line);
    expect(run.stderr()).not.toContain(tokenRes.access_token);
  });

  it('plays the undocumented variants its flags name', async () => {
    const run = wxlog([
      'simulator',
      '--per-day',
      '50',
      '--max-page-size',
      '4',
      '--page-size-cap-mode',
      'truncate',
      '--order',
      'oldest',
      '--endtime',
      'exclusive',
      '--served-days',
      '3',
      '--data-days',
      '5',
      '--shape-drift',
      '1',
      '--daily-quota',
      '3',
    ]);
    const [, url] = await waitFor(run.stdout, /^listening on (http:\/\/127\.0\.0\.1:\d+)\n/);
    const post = async (path: string, body: unknown): Promise<Record<string, unknown>> =>
      (await (await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body) })).json()) as Record<
        string,
        unknown
      >;
    const credentials = { grant_type: 'client_credential', appid: 'wxd0c0ffee12345678', secret: 'simulator-secret' };
    const token = (await post('/cgi-bin/stable_token', credentials))['access_token'] as string;
    type Answer = { errcode: number; errmsg: string; data?: { list: Record<string, unknown>[]; total: number } };
    const searchDay = async (day: string, extra: Record<string, string> = {}): Promise<Answer> => {
      const { begin, end } = cstDayBounds(day);
      const query = new URLSearchParams({
        access_token: token,
        date: day,
        begintime: String(begin),
        endtime: String(end),
        ...extra,
      });
      return (await (await fetch(`${url}/wxaapi/userlog/userlog_search?${query.toString()}`)).json()) as Answer;
    };
    const today = cstDayOf(Date.now() / 1000);
    const yesterday = cstDayOf(Date.now() / 1000 - 86_400);
    const page = await searchDay(yesterday, { limit: '10' });
    expect(page.errcode).toBe(0);
    // truncate: at most 4; exclusive: the entry generated at 23:59:59 is not counted; drift: msg objects.
    expect(page.data?.list).toHaveLength(4);
    expect(page.data?.total).toBeLessThan(50);
    const stamps = (page.data?.list ?? []).map((e) => Number(e['timestamp']));
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    expect((page.data?.list ?? []).every((e) => typeof e['timestamp'] === 'string' && 'network' in e)).toBe(true);
    const old = await searchDay(cstDayOf(cstDayBounds(today).begin - 3 * 86_400));
    expect(old).toEqual({ errcode: 200002, errmsg: '参数错误,date只能是最近3天的日期' });
    const quotaPath = `/cgi-bin/openapi/quota/get?access_token=${encodeURIComponent(token)}`;
    const quota = await post(quotaPath, { cgi_path: '/wxaapi/userlog/userlog_search' });
    expect(quota['quota']).toEqual({ daily_limit: 3, used: 1, remain: 2 });
    await searchDay(yesterday);
    await searchDay(yesterday);
    expect((await searchDay(yesterday)).errcode).toBe(45009);
    run.process.kill('SIGTERM');
    expect(await run.exit).toBe(0);
  });

  it('rejects a limit above --max-page-size by default', async () => {
    const run = wxlog(['simulator', '--per-day', '20', '--max-page-size', '4']);
    const [, url] = await waitFor(run.stdout, /^listening on (http:\/\/127\.0\.0\.1:\d+)\n/);
    const token = (
      (await (
        await fetch(`${url}/cgi-bin/stable_token`, {
          method: 'POST',
          body: JSON.stringify({
            grant_type: 'client_credential',
            appid: 'wxd0c0ffee12345678',
            secret: 'simulator-secret',
          }),
        })
      ).json()) as { access_token: string }
    ).access_token;
    const yesterday = cstDayOf(Date.now() / 1000 - 86_400);
    const { begin, end } = cstDayBounds(yesterday);
    const ask = async (limit: number): Promise<number> => {
      const window = { date: yesterday, begintime: String(begin), endtime: String(end) };
      const query = new URLSearchParams({ access_token: token, ...window, limit: String(limit) });
      return (
        (await (await fetch(`${url}/wxaapi/userlog/userlog_search?${query.toString()}`)).json()) as { errcode: number }
      ).errcode;
    };
    expect(await ask(5)).toBe(200002);
    expect(await ask(4)).toBe(0);
    run.process.kill('SIGTERM');
    expect(await run.exit).toBe(0);
  });

  it('--apps N serves N apps and prints each AppID and secret, then the token service URL', async () => {
    const run = wxlog(['simulator', '--apps', '3', '--per-day', '20', '--seed', '5']);
    const [, url] = await waitFor(run.stdout, /^listening on (http:\/\/127\.0\.0\.1:\d+)\n/);
    await waitFor(run.stdout, /^token service .*\n/m);
    const lines = run.stdout().split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[5]).toBe('');
    const apps = lines.slice(1, 4).map((line) => {
      const match = /^app (wx[0-9a-f]{16}) secret ([0-9a-f]{32})$/.exec(line);
      expect(match, line).not.toBeNull();
      return { appid: match?.[1] ?? '', secret: match?.[2] ?? '' };
    });
    expect(new Set(apps.map((a) => a.appid)).size).toBe(3);
    expect(lines[4]).toBe(`token service ${url}/token-service/token?appid={appid}`);

    const yesterday = cstDayOf(Date.now() / 1000 - 86_400);
    const { begin, end } = cstDayBounds(yesterday);
    const totals: number[] = [];
    const firsts: unknown[] = [];
    for (const [i, app] of apps.entries()) {
      // The first two by their secrets, the third from the token service.
      const token =
        i < 2
          ? (
              (await (
                await fetch(`${url}/cgi-bin/stable_token`, {
                  method: 'POST',
                  body: JSON.stringify({ grant_type: 'client_credential', ...app }),
                })
              ).json()) as { access_token: string }
            ).access_token
          : (
              (await (
                await fetch((lines[4] ?? '').replace('token service ', '').replace('{appid}', app.appid))
              ).json()) as { access_token: string }
            ).access_token;
      const query = new URLSearchParams({
        access_token: token,
        date: yesterday,
        begintime: String(begin),
        endtime: String(end),
        limit: '1',
      });
      const res = (await (await fetch(`${url}/wxaapi/userlog/userlog_search?${query.toString()}`)).json()) as {
        errcode: number;
        data: { list: unknown[]; total: number };
      };
      expect(res.errcode).toBe(0);
      totals.push(res.data.total);
      firsts.push(res.data.list[0]);
    }
    expect(totals).toEqual([20, 20, 20]);
    // Each app its own data.
    expect(new Set(firsts.map((e) => JSON.stringify(e))).size).toBe(3);
    expect(run.stderr()).toContain('3 apps');
    run.process.kill('SIGTERM');
    expect(await run.exit).toBe(0);
  });

  it('documents every option in --help', async () => {
    const run = wxlog(['simulator', '--help']);
    expect(await run.exit).toBe(0);
    for (const option of [
      '--port',
      '--host',
      '--appid',
      '--secret',
      '--calls-per-minute',
      '--interval-ms',
      '--per-day',
      '--seed',
      '--fault-rate',
      '--max-page-size',
      '--max-offset',
      '--page-size-cap-mode',
      '--order',
      '--endtime',
      '--served-days',
      '--data-days',
      '--shape-drift',
      '--daily-quota',
      '--apps',
      '--latency-ms',
    ]) {
      expect(run.stdout()).toContain(option);
    }
    expect(run.stdout()).toContain('token service');
    expect(run.stdout()).toMatch(/secrets are\s+the simulator's own/);
  });

  it.each([
    [['--port', 'eighty'], '--port'],
    [['--per-day', '-5'], '--per-day'],
    [['--fault-rate', '1.5'], '--fault-rate'],
    [['--calls-per-minute', '0'], '--calls-per-minute'],
    [['--bogus'], '--bogus'],
    [['--page-size-cap-mode', 'clip'], '--page-size-cap-mode'],
    [['--order', 'random'], '--order'],
    [['--endtime', 'open'], '--endtime'],
    [['--served-days', '61'], '--served-days'],
    [['--served-days', '14', '--data-days', '7'], '--data-days'],
    [['--shape-drift', '2'], '--shape-drift'],
    [['--daily-quota', '-1'], '--daily-quota'],
    [['--apps', '0'], '--apps'],
    [['--apps', '100001'], '--apps'],
    [['--apps', '2', '--appid', 'wx1'], '--apps'],
    [['--apps', '2', '--secret', 's'], '--secret'],
  ])('refuses %j with exit 2 and a message naming %s', async (args, option) => {
    const run = wxlog(['simulator', ...args]);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toContain(option);
    expect(run.stdout()).toBe('');
  });
});
