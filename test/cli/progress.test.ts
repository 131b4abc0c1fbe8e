import { spawnSync } from 'node:child_process';
import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { DayOutcome } from '../../src/export/run-export.js';
import {
  etaMs,
  ExportProgress,
  formatDuration,
  ProgressLine,
  remainingCalls,
  renderProgress,
  type DayProgress,
  type ProgressState,
} from '../../src/cli/progress.js';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import type { SearchPage, SearchParams } from '../../src/wechat/types.js';
import { tempDir } from '../helpers/temp-dir.js';
import { CLI, runCli, simulatorEnv } from './run-cli.js';
import { simulator } from '../helpers/export-fixture.js';

function day(
  date: string,
  state: DayProgress['state'],
  serverTotal: number | null,
  stored: number,
  windows: [number, number] = [0, 0],
): DayProgress {
  return { date, state, serverTotal, stored, windowsComplete: windows[0], windowsIncomplete: windows[1] };
}

/** Four days: one done, one being read, one checked complete by an earlier run, one never seen. */
function state(overrides: Partial<ProgressState> = {}): ProgressState {
  return {
    label: 'wxlog run',
    days: [
      day('20261119', 'done', 800, 800, [3, 1]),
      day('20261120', 'reading', 1000, 300),
      day('20261121', 'waiting', 500, 500),
      day('20261122', 'waiting', null, 0),
    ],
    entriesNew: 1100,
    searchCalls: 50,
    elapsedMs: 10_000,
    pageSize: 100,
    budget: { calls: 45, intervalMs: 60_000 },
    ...overrides,
  };
}

describe('remainingCalls', () => {
  it('counts the pages between stored and the server total, one check per day not reached, and a typical size for a day never seen', () => {
    // reading: (1000 - 300) / 100 = 7; checked earlier: 1; never seen: mean(800, 1000, 500) / 100 → 8; done: 0.
    expect(remainingCalls(state())).toBe(7 + 1 + 8);
  });

  it('needs one call for a day being read whose total is not known yet', () => {
    expect(remainingCalls(state({ days: [day('20261122', 'reading', null, 0)] }))).toBe(1);
  });

  it('is zero when every day is done', () => {
    expect(remainingCalls(state({ days: [day('20261122', 'done', 10, 10, [1, 0])] }))).toBe(0);
  });
});

describe('etaMs', () => {
  it('goes no faster than the rate budget allows', () => {
    // 16 calls at 45 per minute, while the pass so far managed one call per 200 ms.
    expect(etaMs(state())).toBeCloseTo((16 * 60_000) / 45, 6);
  });

  it('goes no faster than the pass has managed so far', () => {
    // 50 calls took 100 s: 2 s per call, slower than the budget's 1.33 s.
    expect(etaMs(state({ elapsedMs: 100_000 }))).toBeCloseTo(16 * 2_000, 6);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [45_000, '45s'],
    [245_000, '4m05s'],
    [3_599_000, '59m59s'],
    [7_620_000, '2h07m'],
  ])('%i ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('renderProgress', () => {
  it('shows days done, the ETA with the calls left and the budget, windows, new entries and calls', () => {
    const line = renderProgress(state());
    expect(line).toMatch(/^wxlog run: 1\/4 days, /);
    expect(line).toContain(`ETA ${formatDuration((16 * 60_000) / 45)} (~16 calls at 45/min)`);
    expect(line).toContain('3 windows complete, 1 incomplete');
    expect(line).toContain('1100 new entries');
    expect(line).toContain('50 calls');
    expect(line).not.toMatch(/[\r\n]/);
  });

  it('names a shortened budget interval', () => {
    expect(renderProgress(state({ budget: { calls: 20, intervalMs: 1000 } }))).toContain('at 20/1s)');
  });

  it('says finishing when nothing is left to call', () => {
    const line = renderProgress(state({ days: [day('20261122', 'done', 10, 10, [1, 0])] }));
    expect(line).toContain('finishing');
    expect(line).not.toContain('ETA');
  });

  it('fits the terminal width, so that the line never wraps', () => {
    const full = renderProgress(state());
    const cut = renderProgress(state(), 40);
    expect(cut).toHaveLength(39);
    expect(cut.endsWith('…')).toBe(true);
    expect(full.startsWith(cut.slice(0, -1))).toBe(true);
  });
});

/** A terminal stand-in that keeps what was written. */
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
  it('follows the calls of a pass: a day turns to reading with its first call, and to done with its coverage', async () => {
    const tty = terminal();
    let now = 0;
    const ledger = new Map<string, DayOutcome>([
      [
        '20261121',
        {
          date: '20261121',
          windowsComplete: 1,
          windowsIncomplete: 0,
          stored: 40,
          serverTotal: 40,
          error: null,
          unavailable: false,
        },
      ],
      [
        '20261122',
        {
          date: '20261122',
          windowsComplete: 0,
          windowsIncomplete: 1,
          stored: 0,
          serverTotal: null,
          error: null,
          unavailable: false,
        },
      ],
    ]);
    let calls = 0;
    const progress = new ExportProgress({
      line: new ProgressLine(tty, { now: () => now }),
      label: 'wxlog run',
      days: ['20261121', '20261122'],
      coverage: (date) => ledger.get(date) as DayOutcome,
      searchCalls: () => calls,
      pageSize: 10,
      budget: { calls: 10, intervalMs: 1000 },
      now: () => now,
    });
    const api = progress.follow({
      searchLogs: async (params: SearchParams): Promise<SearchPage> => {
        calls += 1;
        // The server reports 95 entries for the day; the exporter stores the page.
        ledger.set(params.date, {
          date: params.date,
          windowsComplete: 0,
          windowsIncomplete: 1,
          stored: 10 * calls,
          serverTotal: 95,
          error: null,
          unavailable: false,
        });
        return { list: [], total: 95, unexpected: 0 };
      },
      getSceneList: async () => [],
    });

    expect(progress.state().days.map((d) => d.state)).toEqual(['waiting', 'waiting']);
    await api.searchLogs({ date: '20261122', begintime: 0, endtime: 1, start: 0, limit: 10 });
    const reading = progress.state();
    expect(reading.days.map((d) => d.state)).toEqual(['waiting', 'reading']);
    // 95 - 10 stored = 9 more pages, and one call to check the other day.
    expect(remainingCalls(reading)).toBe(9 + 1);
    expect(reading.entriesNew).toBe(10);
    expect(tty.text()).toContain('wxlog run: 0/2 days, ETA');

    now += 300;
    progress.dayDone({
      date: '20261122',
      windowsComplete: 1,
      windowsIncomplete: 0,
      stored: 95,
      serverTotal: 95,
      error: null,
      unavailable: false,
    });
    const after = progress.state();
    expect(after.days.map((d) => d.state)).toEqual(['waiting', 'done']);
    expect(after.entriesNew).toBe(95);
    expect(tty.text()).toContain('wxlog run: 1/2 days, ETA');

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
        /^wxlog run: \d\/7 days, (ETA \d+(s|m\d\ds) \(~\d+ calls at 30\/1s\)|finishing); \d+ windows? complete/,
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
