import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands/index.js';
import type { Command } from '../../src/cli/command.js';
import { addCstDays, cstDayBounds, cstDayOf, formatCst } from '../../src/wechat/cst-day.js';
import { buildFixture } from '../store/log-fixture.js';
import { fixedContext } from './command-context.js';
import { MIDDAY_CST_MS, MIDDAY_CST_SECONDS } from '../helpers/fixed-now.js';

// Not the real clock's day, so that a command reading Date.now() instead of ctx.now() sees other days.
const NOW_MS = MIDDAY_CST_MS;
const NOW = MIDDAY_CST_SECONDS;

let dir: string;
let env: NodeJS.ProcessEnv;

async function command(name: string): Promise<Command> {
  const entry = commands.find((c) => c.name === name);
  if (!entry) throw new Error(`no command ${name}`);
  return entry.load();
}

async function run(name: string, argv: string[]) {
  const c = fixedContext(argv, env, NOW_MS, dir);
  const code = await (await command(name)).run(c.ctx);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wxlog-now-'));
  const path = join(dir, 'wxlog.db');
  buildFixture(path, NOW);
  env = { WXLOG_DB: path };
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("commands read the clock from the context's now()", () => {
  it('status: the lookback ends on the CST day of now()', async () => {
    const result = await run('status', ['--json']);
    expect(result.code).toBe(0);
    const days = (JSON.parse(result.stdout) as { days: { date: string }[] }).days.map((d) => d.date);
    expect(days[0]).toBe(cstDayOf(NOW));
    expect(days).toHaveLength(7);
  });

  it('prune --dry-run: the cut is counted back from now()', async () => {
    const result = await run('prune', ['--older-than', '3', '--dry-run']);
    expect(result.code).toBe(0);
    const cut = formatCst(cstDayBounds(addCstDays(cstDayOf(NOW), -3)).begin);
    expect(result.stdout).toContain(`logged before ${cut} CST`);
    expect(result.stdout).not.toMatch(/would remove 0 entries/);
  });

  it('search --since: a duration back from now()', async () => {
    const result = await run('search', ['网络请求失败', '--since', '2d', '--json']);
    expect(result.code).toBe(0);
    const times = result.stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { time: number }).time);
    expect(times.length).toBeGreaterThan(0);
    for (const time of times) expect(time).toBeGreaterThanOrEqual(NOW - 2 * 86_400);
  });
});
