import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPID, buildFixture, OTHER_APPID, type Fixture, type FixtureMessage } from '../store/log-fixture.js';
import { runCli } from './run-cli.js';

let dir: string;
let fixture: Fixture;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wxlog-search-'));
  fixture = buildFixture(join(dir, 'wxlog.db'), Math.floor(Date.now() / 1000), { days: 4, perDay: 8 });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function search(args: string[], env: Record<string, string> = {}) {
  return runCli(['search', ...args], { WXLOG_DB: fixture.path, ...env });
}

interface Line {
  time: string;
  level: string;
  /** Shown when the search covers several apps. */
  appid?: string;
  url: string;
  traceid: string;
  text: string;
}

const LINE = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (INFO|WARN|ERROR) +(?:(wx[0-9a-f]{16}) )?(\S+) trace=(\S+) (.*)$/;

function parseLines(stdout: string): Line[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = LINE.exec(l);
      if (!m) throw new Error(`not a search line: ${JSON.stringify(l)}`);
      return {
        time: m[1]!,
        level: m[2]!,
        ...(m[3] === undefined ? {} : { appid: m[3] }),
        url: m[4]!,
        traceid: m[5]!,
        text: m[6]!,
      };
    });
}

// CST wall time computed here, not by wxlog: UTC plus eight hours.
function cst(unixSeconds: number): string {
  return new Date((unixSeconds + 8 * 3600) * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

function contains(m: FixtureMessage, needle: string): boolean {
  return m.args.some((a) =>
    (typeof a === 'string' ? a : JSON.stringify(a)).toLowerCase().includes(needle.toLowerCase()),
  );
}

// Newest first: by the message's time, then its entry's timestamp.
function newestFirst(messages: FixtureMessage[]): FixtureMessage[] {
  return [...messages].sort((a, b) => b.time - a.time || b.entryTimestamp - a.entryTimestamp || b.seq - a.seq);
}

function levelName(level: number): string {
  return level === 8 ? 'ERROR' : level === 4 ? 'WARN' : 'INFO';
}

describe('wxlog search', () => {
  it('finds a Chinese substring (请求失败 in 网络请求失败), newest first, one line per message', async () => {
    const result = await search(['请求失败', '--limit', '1000']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = parseLines(result.stdout);
    const expected = newestFirst(fixture.messages.filter((m) => contains(m, '请求失败')));
    expect(expected.length).toBeGreaterThan(3);
    expect(lines).toHaveLength(expected.length);
    lines.forEach((line, i) => {
      const m = expected[i]!;
      expect(line).toEqual({
        time: cst(m.time),
        level: levelName(m.level),
        appid: m.appid,
        url: m.url ?? '-',
        traceid: m.traceid ?? '-',
        text: expect.stringContaining('网络请求失败'),
      });
    });
  });

  it('falls back to LIKE for text shorter than three characters', async () => {
    const [two, one] = await Promise.all([search(['超时', '--limit', '1000']), search(['%', '--limit', '1000'])]);
    expect(two.status).toBe(0);
    const expected = newestFirst(fixture.messages.filter((m) => contains(m, '超时')));
    expect(expected.length).toBeGreaterThan(0);
    expect(parseLines(two.stdout).map((l) => l.time)).toEqual(expected.map((m) => cst(m.time)));
    expect(parseLines(two.stdout).every((l) => l.text.includes('支付超时'))).toBe(true);
    // `%` is a LIKE wildcard: it must be matched literally.
    const percent = fixture.messages.filter((m) => contains(m, '%'));
    expect(parseLines(one.stdout)).toHaveLength(percent.length);
    expect(parseLines(one.stdout).every((l) => l.text.includes('100% done_ok'))).toBe(true);
  });

  it('filters by level (name or number: at least that level) and by --since', async () => {
    const [warn, error, eight, sinceHours, sinceDay] = await Promise.all([
      search(['失败', '--level', 'warn', '--limit', '1000']),
      search(['00', '--level', 'error', '--limit', '1000']),
      search(['00', '--level', '8', '--limit', '1000']),
      search(['网络请求', '--since', '30h', '--limit', '1000']),
      search(['网络请求', '--since', cst(fixture.now - 2 * 86_400).slice(0, 10), '--limit', '1000']),
    ]);
    for (const r of [warn, error, eight, sinceHours, sinceDay]) expect(r.status).toBe(0);
    expect(parseLines(warn.stdout)).toHaveLength(
      fixture.messages.filter((m) => contains(m, '失败') && m.level >= 4).length,
    );
    const errors = fixture.messages.filter((m) => contains(m, '00') && m.level >= 8);
    expect(errors.length).toBeGreaterThan(0);
    expect(parseLines(error.stdout).map((l) => l.level)).toEqual(errors.map(() => 'ERROR'));
    expect(eight.stdout).toBe(error.stdout);

    // No fixture message lies within minutes of the 30-hour cut, so the seconds between fixture and CLI do not matter.
    const cutHours = fixture.now - 30 * 3600;
    const recent = fixture.messages.filter((m) => contains(m, '网络请求') && m.time >= cutHours);
    expect(recent.length).toBeGreaterThan(0);
    expect(recent.length).toBeLessThan(fixture.messages.filter((m) => contains(m, '网络请求')).length);
    expect(parseLines(sinceHours.stdout)).toHaveLength(recent.length);

    const dayStart = Date.parse(`${cst(fixture.now - 2 * 86_400).slice(0, 10)}T00:00:00+08:00`) / 1000;
    const sinceThatDay = newestFirst(fixture.messages.filter((m) => contains(m, '网络请求') && m.time >= dayStart));
    expect(parseLines(sinceDay.stdout).map((l) => l.time)).toEqual(sinceThatDay.map((m) => cst(m.time)));
  });

  it('returns the newest N with --limit', async () => {
    const result = await search(['00', '--limit', '3']);
    const expected = newestFirst(fixture.messages.filter((m) => contains(m, '00'))).slice(0, 3);
    expect(parseLines(result.stdout).map((l) => `${l.time} ${l.traceid}`)).toEqual(
      expected.map((m) => `${cst(m.time)} ${m.traceid ?? '-'}`),
    );
  });

  it('searches hostile text literally instead of failing', async () => {
    const inputs = ['a"b OR', '"', 'NEAR(x)', 'OR', '*', "'; DROP TABLE log_entries; --", 'AND NOT', '{code}', '^'];
    const results = await Promise.all(inputs.map((text) => search([text, '--limit', '1000'])));
    results.forEach((r, i) => {
      expect({ input: inputs[i], status: r.status }).toEqual({ input: inputs[i], status: 0 });
      expect(parseLines(r.stdout)).toHaveLength(fixture.messages.filter((m) => contains(m, inputs[i]!)).length);
    });
    expect(parseLines(results[0]!.stdout).length).toBeGreaterThan(0);
    expect(parseLines(results[0]!.stdout).every((l) => l.text.includes('a"b OR c'))).toBe(true);
  });

  it('prints JSON lines with --json, args exactly as logged', async () => {
    const result = await search(['支付超时', '--json', '--limit', '1000']);
    const rows = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { time: number; level_name: string; args: unknown; traceid: string | null });
    const expected = newestFirst(fixture.messages.filter((m) => contains(m, '支付超时')));
    expect(rows.map((r) => ({ time: r.time, level: r.level_name, args: r.args, traceid: r.traceid }))).toEqual(
      expected.map((m) => ({ time: m.time, level: 'error', args: m.args, traceid: m.traceid })),
    );
  });

  it('searches only WXLOG_APPID when it is set, without the AppID on each line', async () => {
    const [all, one] = await Promise.all([
      search(['请求失败', '--limit', '1000']),
      search(['请求失败', '--limit', '1000'], { WXLOG_APPID: APPID }),
    ]);
    const ours = newestFirst(fixture.messages.filter((m) => contains(m, '请求失败') && m.appid === APPID));
    expect(ours.length).toBeLessThan(fixture.messages.filter((m) => contains(m, '请求失败')).length);
    expect(parseLines(one.stdout).map((l) => [l.time, l.appid])).toEqual(ours.map((m) => [cst(m.time), undefined]));
    // Every app of the file: each line says which.
    const lines = parseLines(all.stdout);
    expect(lines.length).toBeGreaterThan(ours.length);
    expect(new Set(lines.map((l) => l.appid))).toEqual(new Set([APPID, OTHER_APPID]));
  });

  it('limits the search to the apps given with --app (repeatable), over WXLOG_APPID', async () => {
    const [other, both, overEnv] = await Promise.all([
      search(['请求失败', '--app', OTHER_APPID, '--limit', '1000']),
      search(['请求失败', '--app', OTHER_APPID, '--app', APPID, '--limit', '1000']),
      search(['请求失败', '--app', OTHER_APPID, '--limit', '1000'], { WXLOG_APPID: APPID }),
    ]);
    const theirs = newestFirst(fixture.messages.filter((m) => contains(m, '请求失败') && m.appid === OTHER_APPID));
    expect(theirs.length).toBeGreaterThan(0);
    expect(parseLines(other.stdout).map((l) => [l.time, l.appid])).toEqual(theirs.map((m) => [cst(m.time), undefined]));
    expect(overEnv.stdout).toBe(other.stdout);
    const all = newestFirst(fixture.messages.filter((m) => contains(m, '请求失败')));
    expect(parseLines(both.stdout).map((l) => [l.time, l.appid])).toEqual(all.map((m) => [cst(m.time), m.appid]));
  });

  it('refuses, in one line with exit 2, an app the file does not hold, and names those it holds', async () => {
    const stranger = 'wx00000000000000aa';
    const [env, option, oneOfTwo] = await Promise.all([
      search(['请求失败'], { WXLOG_APPID: stranger }),
      search(['请求失败', '--app', stranger]),
      search(['请求失败', '--app', APPID, '--app', stranger]),
    ]);
    const holds = `${fixture.path} does not hold ${stranger}; it holds 2 apps: ${APPID}, ${OTHER_APPID}`;
    expect(env).toEqual({ status: 2, stdout: '', stderr: `wxlog search: WXLOG_APPID: ${holds}\n` });
    expect(option).toEqual({ status: 2, stdout: '', stderr: `wxlog search: --app: ${holds}\n` });
    expect(oneOfTwo).toEqual({ status: 2, stdout: '', stderr: `wxlog search: --app: ${holds}\n` });
  });

  it('says which apps it searched when nothing matches', async () => {
    const [one, every] = await Promise.all([
      search(['nothing-like-this'], { WXLOG_APPID: APPID }),
      search(['nothing-like-this']),
    ]);
    expect(one).toEqual({
      status: 0,
      stdout: '',
      stderr: `wxlog search: no stored message of ${APPID} contains "nothing-like-this"\n`,
    });
    expect(every.stderr).toBe('wxlog search: no stored message contains "nothing-like-this"\n');
  });

  it('rejects bad options in one line with exit 2', async () => {
    const results = await Promise.all([
      search(['x', '--level', 'debug']),
      search(['x', '--since', 'yesterday']),
      search(['x', '--limit', '0']),
      search(['x', '--nope']),
      search([]),
      runCli(['search', 'abc'], { WXLOG_DB: join(dir, 'missing.db') }),
    ]);
    for (const r of results) {
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^wxlog search: [^\n]+\n$/);
    }
    expect(results[5].stderr).toContain(join(dir, 'missing.db'));
  });
});
