import { spawnSync } from 'node:child_process';
import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExportEvent } from '../../src/events/export-events.js';
import {
  etaFloorMs,
  ExportProgress,
  followEvent,
  formatDuration,
  initialProgress,
  ProgressLine,
  rawEtaMs,
  remainingCalls,
  renderProgress,
  smoothEta,
  type ProgressState,
} from '../../src/cli/progress.js';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { tempDir } from '../helpers/temp-dir.js';
import { CLI, runCli, simulatorEnv } from './run-cli.js';
import { simulator } from '../helpers/export-fixture.js';

const A = 'wx1111111111111111';
const B = 'wx2222222222222222';
const T0 = 1_800_000_000_000;

function day(appid: string, date: string, windows: [number, number] = [1, 0]): ExportEvent {
  return {
    type: 'day-done',
    appid,
    date,
    windowsComplete: windows[0],
    windowsIncomplete: windows[1],
    stored: 0,
    serverTotal: 0,
    unavailable: false,
    error: null,
  };
}

function search(appid: string): ExportEvent {
  return { type: 'request', appid, api: 'search', result: 'ok', durationMs: 50 };
}

function page(
  appid: string,
  date: string,
  entries: number,
  dayStored: number,
  dayServerTotal: number | null,
): ExportEvent {
  return { type: 'page-stored', appid, date, entriesSeen: entries, entriesNew: entries, dayStored, dayServerTotal };
}

/** A state fed `events`: pages of 100, a budget of 10 calls a second. */
function fed(events: ExportEvent[]): ProgressState {
  const s = initialProgress({
    label: 'wxlog run',
    startedAt: T0,
    budget: { calls: 10, intervalMs: 1000 },
    pageSize: 100,
  });
  for (const e of events) followEvent(s, e);
  return s;
}

/** One app of 4 days: two done at 3 calls each, one being read (300 of 1000 stored), one not reached. */
function oneApp(): ExportEvent[] {
  return [
    { type: 'pass-started', apps: 1, at: T0 },
    { type: 'app-started', appid: A, days: 4, at: T0 },
    search(A),
    search(A),
    search(A),
    day(A, '20261119', [3, 1]),
    search(A),
    search(A),
    search(A),
    day(A, '20261120'),
    search(A),
    page(A, '20261121', 100, 200, 1000),
    search(A),
    page(A, '20261121', 100, 300, 1000),
  ];
}

describe('followEvent and remainingCalls', () => {
  it('counts the pages between stored and the server total, and the calls of a day done for a day not reached', () => {
    const s = fed(oneApp());
    // reading: (1000 - 300) / 100 = 7; not reached: 3 calls, as the days done took.
    expect(remainingCalls(s)).toBe(7 + 3);
    expect(s).toMatchObject({
      pages: 2,
      entriesSeen: 200,
      entriesNew: 200,
      searchCalls: 8,
      windowsComplete: 4,
      windowsIncomplete: 1,
    });
  });

  it('takes one call for a day being read whose total is not known yet, and one for a day not reached before any is done', () => {
    const s = fed([{ type: 'app-started', appid: A, days: 3, at: T0 }, search(A), page(A, '20261122', 100, 100, null)]);
    expect(remainingCalls(s)).toBe(1 + 2);
  });

  it('counts apps not started as large as the apps seen', () => {
    const s = fed([
      { type: 'pass-started', apps: 3, at: T0 },
      { type: 'app-started', appid: A, days: 2, at: T0 },
      search(A),
      search(A),
      day(A, '20261121'),
    ]);
    // A: one day left at 2 calls; two apps of 2 days at 2 calls a day.
    expect(remainingCalls(s)).toBe(2 + 2 * 2 * 2);
  });

  it('is zero when every app is done', () => {
    const s = fed([
      ...oneApp(),
      {
        type: 'app-done',
        appid: A,
        exitCode: 0,
        complete: true,
        windowsIncomplete: 0,
        entriesNew: 200,
        searchCalls: 8,
        startedAt: T0,
        finishedAt: T0 + 1,
        error: null,
      },
    ]);
    expect(remainingCalls(s)).toBe(0);
  });

  it('ignores requests of other APIs', () => {
    const s = fed([{ type: 'request', appid: A, api: 'token', result: 'ok', durationMs: 1 }]);
    expect(s.searchCalls).toBe(0);
  });
});

describe('the ETA', () => {
  it('goes at the pace observed once a few calls are made', () => {
    const s = fed(oneApp());
    // 8 calls in 4 s: 2 a second; 10 calls left.
    expect(rawEtaMs(s, T0 + 4000)).toBe(5000);
  });

  it('goes at the budget pace before that', () => {
    const s = fed([{ type: 'app-started', appid: A, days: 3, at: T0 }]);
    // 3 calls at 10 a second.
    expect(rawEtaMs(s, T0 + 10)).toBe(300);
  });

  it('is never shorter than a rate budget wait in progress plus the calls left at the budget pace', () => {
    const s = fed([...oneApp(), { type: 'budget-waiting', appid: A, reason: 'rate-limited', untilMs: T0 + 30_000 }]);
    // 26 s of wait left, then 9 more calls at 100 ms.
    expect(etaFloorMs(s, T0 + 4000)).toBe(26_000 + 900);
    followEvent(s, { type: 'budget-wait', appid: A, reason: 'rate-limited', waitedMs: 26_000, untilMs: T0 + 30_000 });
    expect(etaFloorMs(s, T0 + 30_000)).toBe(900);
  });

  it('counts down between estimates and follows a new one only part of the way', () => {
    const first = smoothEta(undefined, 60_000, 0, T0);
    expect(first.ms).toBe(60_000);
    // The same estimate a second later: counted down, unchanged otherwise.
    expect(smoothEta(first, 59_000, 0, T0 + 1000).ms).toBeCloseTo(59_000, 6);
    // A sudden estimate of 10 s, a second after: the shown ETA moves by less than a tenth of the jump.
    const jumped = smoothEta(first, 10_000, 0, T0 + 1000);
    expect(jumped.ms).toBeGreaterThan(59_000 - 0.1 * 49_000);
    expect(jumped.ms).toBeLessThan(59_000);
    // Held there long enough, it gets there.
    let eta = jumped;
    for (let t = 2; t <= 120; t++) eta = smoothEta(eta, Math.max(0, 10_000 - (t - 1) * 1000), 0, T0 + t * 1000);
    expect(eta.ms).toBeLessThan(1000);
  });

  it('never shows less than the floor', () => {
    const first = smoothEta(undefined, 1000, 20_000, T0);
    expect(first.ms).toBe(20_000);
    expect(smoothEta(first, 0, 15_000, T0 + 60_000).ms).toBe(15_000);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [45_000, '45s'],
    [245_000, '4m05s'],
    [7_620_000, '2h07m'],
  ])('shows %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('renderProgress', () => {
  it('shows days done, the ETA with the calls left and the budget, windows, pages, entries read and new, and calls', () => {
    expect(renderProgress(fed(oneApp()), 5000)).toBe(
      'wxlog run: 2/4 days, ETA 5s (~10 calls at 10/1s); 4 windows complete, 1 incomplete, 2 pages, 200 read, 200 new entries, 8 calls',
    );
  });

  it('shows apps done, in flight and planned when there is more than one', () => {
    const s = fed([
      { type: 'pass-started', apps: 5, at: T0 },
      { type: 'app-started', appid: A, days: 2, at: T0 },
      { type: 'app-started', appid: B, days: 2, at: T0 },
      {
        type: 'app-done',
        appid: A,
        exitCode: 0,
        complete: true,
        windowsIncomplete: 0,
        entriesNew: 0,
        searchCalls: 0,
        startedAt: T0,
        finishedAt: T0,
        error: null,
      },
    ]);
    expect(renderProgress(s, 60_000)).toMatch(/^wxlog run: 1\/5 apps, 1 in flight, 0\/4 days, ETA 1m00s/);
  });

  it('names a shortened budget interval', () => {
    const s = fed(oneApp());
    s.budget = { calls: 45, intervalMs: 60_000 };
    expect(renderProgress(s, 1000)).toContain('at 45/min');
  });

  it('says finishing when nothing is left to call', () => {
    const s = fed([{ type: 'app-started', appid: A, days: 1, at: T0 }, day(A, '20261122')]);
    expect(renderProgress(s, 0)).toMatch(/^wxlog run: 1\/1 days, finishing; 1 window complete/);
  });

  it('fits the terminal width, so that the line never wraps', () => {
    const line = renderProgress(fed(oneApp()), 5000, 40);
    expect(line).toHaveLength(39);
    expect(line.endsWith('…')).toBe(true);
  });
});

function terminal(columns?: number): Writable & { columns?: number; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    decodeStrings: false,
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return Object.assign(stream, { text: () => chunks.join('') }, columns === undefined ? {} : { columns });
}

describe('ProgressLine', () => {
  it('redraws in place at most every 250 ms', () => {
    let now = 1_000;
    const tty = terminal();
    const line = new ProgressLine(tty, { now: () => now });
    expect(line.draw('one')).toBe(true);
    now += 100;
    expect(line.due()).toBe(false);
    expect(line.draw('two')).toBe(false);
    now += 150;
    expect(line.draw('three')).toBe(true);
    line.clear();
    line.clear();
    expect(tty.text()).toBe('\r\x1b[2Kone\r\x1b[2Kthree\r\x1b[2K');
  });

  it('puts log lines above the progress line and draws it again below them', () => {
    const tty = terminal();
    const line = new ProgressLine(tty, { now: () => 0 });
    line.logStream.write('before\n');
    line.draw('3/7 days');
    line.logStream.write('a log line\n');
    expect(line.logStream.isTTY).toBe(true);
    expect(tty.text()).toBe('before\n\r\x1b[2K3/7 days\r\x1b[2Ka log line\n3/7 days');
  });

  it('cuts a line wider than the terminal', () => {
    const tty = terminal(10);
    new ProgressLine(tty).draw('0123456789abcdef');
    expect(tty.text()).toBe('\r\x1b[2K01234567…');
  });
});

describe('ExportProgress', () => {
  it('follows the events of a pass and draws its line; finish clears it for good', () => {
    const tty = terminal();
    let now = T0;
    const progress = new ExportProgress({
      line: new ProgressLine(tty, { now: () => now }),
      label: 'wxlog run',
      pageSize: 100,
      budget: { calls: 10, intervalMs: 1000 },
      now: () => now,
    });
    for (const e of oneApp().slice(0, 2)) progress.listener(e);
    expect(tty.text()).toContain('wxlog run: 0/4 days, ETA');
    for (const e of oneApp().slice(2, -1)) progress.listener(e);
    now += 300;
    for (const e of oneApp().slice(-1)) progress.listener(e);
    expect(progress.state().searchCalls).toBe(8);
    expect(tty.text()).toContain('wxlog run: 2/4 days, ETA');

    // A budget wait of a minute: the ETA shown is at least that.
    now += 300;
    progress.listener({ type: 'budget-waiting', appid: A, reason: 'shared', untilMs: now + 60_000 });
    expect(progress.etaMs()).toBeGreaterThanOrEqual(60_000);

    progress.finish();
    now += 300;
    progress.update();
    expect(tty.text().endsWith('\r\x1b[2K')).toBe(true);
  });
});

const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

describe('wxlog run on a terminal (subprocess)', () => {
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  // About 90 calls at 30 a second: some three seconds of progress.
  const env = (s: Simulator, dir: string) => simulatorEnv(s, dir, { WXLOG_CALLS_PER_MINUTE: '30' });

  it.skipIf(!hasScript)('draws a progress line on stderr and clears it before the summary', async () => {
    sim = await simulator({ perDay: 1200, seed: 3, now: Date.now });
    const dir = tempDir();
    // script(1) gives the command a pseudo-terminal; what the terminal showed comes out on its stdout.
    const shown = await new Promise<{ status: number | null; out: string }>((resolve) => {
      execFile(
        'script',
        ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} run`, '/dev/null'],
        {
          env: { PATH: process.env.PATH ?? '', TZ: 'America/Los_Angeles', ...env(sim as Simulator, dir) },
          encoding: 'utf8',
          timeout: 30_000,
        },
        (error, stdout) =>
          resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, out: stdout }),
      );
    });
    expect(shown.status).toBe(0);
    const draws = shown.out.split('\r\x1b[2K');
    const lines = draws.slice(1, -1);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines)
      expect(line).toMatch(
        /^wxlog run: \d\/7 days, (ETA \d+(s|m\d\ds) \(~\d+ calls? at 30\/1s\)|finishing); \d+ windows? complete, \d+ pages?, \d+ read, \d+ new entries, \d+ calls$/,
      );
    // Days get done and the calls grow as the export goes.
    const calls = lines.map((l) => Number(/(\d+) calls$/.exec(l)?.[1]));
    expect(calls).toEqual([...calls].sort((a, b) => a - b));
    expect(lines.at(-1)).not.toMatch(/^wxlog run: 0\/7/);
    // After the last clear: only the summary line (the terminal turns \n into \r\n).
    expect(draws.at(-1)).toMatch(/^wxlog run: complete: 7 days, 7\/7 windows complete, \d+ new entries .*\r\n$/);
  });

  it('draws nothing when stderr is not a terminal', async () => {
    sim = await startSimulator({ perDay: 300, intervalMs: 1000, seed: 3 });
    const dir = tempDir();
    const result = await runCli(['run'], env(sim, dir));
    expect(result.status).toBe(0);
    // The escape character is the point: no terminal control reaches a file.
    // eslint-disable-next-line no-control-regex
    expect(result.stderr).not.toMatch(/[\r\x1b]/);
    expect(result.stderr).not.toContain('days,');
  });
});
