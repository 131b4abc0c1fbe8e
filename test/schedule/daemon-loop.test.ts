import { afterEach, describe, expect, it, vi } from 'vitest';
import { runDaemon } from '../../src/schedule/daemon-loop.js';
import { recordingLogger } from './recording-logger.js';

afterEach(() => {
  vi.useRealTimers();
});

const T0 = Date.parse('2026-11-22T04:00:00.500Z');

/** Offsets from T0 in seconds, to one decimal. */
function offsets(times: number[]): number[] {
  return times.map((t) => Math.round((t - T0) / 100) / 10);
}

/** A pass that takes `ms` of (fake) time, or stops early when its signal aborts. */
function timedPass(ms: number, starts: number[], signals: AbortSignal[] = []) {
  return (signal: AbortSignal): Promise<void> => {
    starts.push(Date.now());
    signals.push(signal);
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        // "Finishing the page in hand" takes a moment.
        setTimeout(resolve, 300);
      });
    });
  };
}

describe('runDaemon', () => {
  it('runs a pass at start and on each tick, skipping ticks that come during a pass', async () => {
    vi.useFakeTimers({ now: T0 });
    const { logger, lines } = recordingLogger();
    const shutdown = new AbortController();
    const starts: number[] = [];
    const done = runDaemon({
      schedule: '* * * * * *',
      pass: timedPass(2_200, starts),
      signal: shutdown.signal,
      logger,
      runNow: true,
    });

    await vi.advanceTimersByTimeAsync(6_000);
    // Start at +0.5 until +2.7 (ticks at +1 and +2 skipped), tick +3 until +5.2 (+4, +5 skipped), tick +6.
    expect(offsets(starts)).toEqual([0, 2.5, 5.5]);
    expect(lines.filter((l) => l.msg === 'pass still running; tick skipped').map((l) => l.fields?.tick)).toEqual([
      '2026-11-22T04:00:01.000Z',
      '2026-11-22T04:00:02.000Z',
      '2026-11-22T04:00:04.000Z',
      '2026-11-22T04:00:05.000Z',
    ]);
    expect(lines[0]).toMatchObject({
      msg: 'daemon started',
      fields: { schedule: '* * * * * *', timezone: 'Asia/Shanghai', runNow: true },
    });

    shutdown.abort();
    await vi.advanceTimersByTimeAsync(1_000);
    await done;
  });

  it('waits for the first tick when not told to run at start', async () => {
    vi.useFakeTimers({ now: T0 });
    const { logger, lines } = recordingLogger();
    const shutdown = new AbortController();
    const starts: number[] = [];
    const done = runDaemon({
      schedule: '*/5 * * * * *',
      pass: timedPass(100, starts),
      signal: shutdown.signal,
      logger,
      runNow: false,
    });

    await vi.advanceTimersByTimeAsync(4_000);
    expect(starts).toEqual([]);
    expect(lines[0]?.fields?.next).toBe('2026-11-22T04:00:05.000Z');
    await vi.advanceTimersByTimeAsync(6_000);
    expect(offsets(starts)).toEqual([4.5, 9.5]);
    shutdown.abort();
    await done;
  });

  it('on shutdown stops the schedule, lets the pass in hand finish, then resolves', async () => {
    vi.useFakeTimers({ now: T0 });
    const { logger, lines } = recordingLogger();
    const shutdown = new AbortController();
    const starts: number[] = [];
    const signals: AbortSignal[] = [];
    let resolved = false;
    const done = runDaemon({
      schedule: '* * * * * *',
      pass: timedPass(60_000, starts, signals),
      signal: shutdown.signal,
      logger,
      runNow: true,
    }).then(() => (resolved = true));

    await vi.advanceTimersByTimeAsync(2_000);
    expect(starts).toHaveLength(1);
    shutdown.abort(new Error('received SIGTERM'));
    expect(signals[0]?.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(200);
    // The pass in hand is still finishing its page.
    expect(resolved).toBe(false);
    await vi.advanceTimersByTimeAsync(200);
    expect(resolved).toBe(true);
    await done;
    expect(lines.map((l) => l.msg)).toContain('stopping: the pass in hand finishes its page first');
    expect(lines.at(-1)?.msg).toBe('daemon stopped');

    // No tick is left: nothing starts, nothing keeps the process alive.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(starts).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps its schedule after a pass that throws', async () => {
    vi.useFakeTimers({ now: T0 });
    const { logger, lines } = recordingLogger();
    const shutdown = new AbortController();
    let calls = 0;
    const done = runDaemon({
      schedule: '*/2 * * * * *',
      pass: () => {
        calls += 1;
        return Promise.reject(new Error(`boom ${calls}`));
      },
      signal: shutdown.signal,
      logger,
      runNow: true,
    });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls).toBe(3);
    expect(lines.filter((l) => l.level === 'error').map((l) => l.fields?.error)).toEqual([
      'boom 1',
      'boom 2',
      'boom 3',
    ]);
    shutdown.abort();
    await done;
  });

  it('returns at once when the signal is already aborted', async () => {
    const { logger } = recordingLogger();
    const shutdown = new AbortController();
    shutdown.abort();
    let calls = 0;
    await runDaemon({
      schedule: '* * * * * *',
      pass: async () => void (calls += 1),
      signal: shutdown.signal,
      logger,
      runNow: true,
    });
    expect(calls).toBe(0);
  });
});
