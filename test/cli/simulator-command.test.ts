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
  expect(existsSync(`${root}dist/cli/commands/simulator.js`), 'build first: npx tsc -p tsconfig.build.json').toBe(true);
});

afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
});

function wxlog(args: string[]): { process: ChildProcessWithoutNullStreams; stdout: () => string; stderr: () => string; exit: Promise<number | null> } {
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
    ]) {
      expect(run.stdout()).toContain(option);
    }
  });

  it.each([
    [['--port', 'eighty'], '--port'],
    [['--per-day', '-5'], '--per-day'],
    [['--fault-rate', '1.5'], '--fault-rate'],
    [['--calls-per-minute', '0'], '--calls-per-minute'],
    [['--bogus'], '--bogus'],
  ])('refuses %j with exit 2 and a message naming %s', async (args, option) => {
    const run = wxlog(['simulator', ...args]);
    expect(await run.exit).toBe(2);
    expect(run.stderr()).toContain(option);
    expect(run.stdout()).toBe('');
  });
});
