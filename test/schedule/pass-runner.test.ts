import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { PassRunner } from '../../src/schedule/pass-runner.js';
import { recordingLogger } from './recording-logger.js';

/** A pass the test finishes by hand. */
function manualPasses() {
  const started: { signal: AbortSignal; finish: () => void; fail: (e: Error) => void }[] = [];
  const pass = (signal: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => started.push({ signal, finish: resolve, fail: reject }));
  return { pass, started };
}

describe('PassRunner', () => {
  it('runs one pass at a time and skips, with a log line, a trigger that comes during a pass', async () => {
    const { logger, lines } = recordingLogger();
    const { pass, started } = manualPasses();
    const runner = new PassRunner({ pass, logger, signal: new AbortController().signal });

    expect(runner.trigger({ tick: 'start' })).toBe(true);
    expect(runner.busy).toBe(true);
    expect(runner.trigger({ tick: 'a' })).toBe(false);
    expect(runner.trigger({ tick: 'b' })).toBe(false);
    expect(started).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'pass still running; tick skipped')).toEqual([
      { level: 'info', msg: 'pass still running; tick skipped', fields: { tick: 'a' } },
      { level: 'info', msg: 'pass still running; tick skipped', fields: { tick: 'b' } },
    ]);

    started[0]?.finish();
    await runner.idle();
    expect(runner.busy).toBe(false);
    // Skipped triggers are not queued: nothing ran after the first pass.
    expect(started).toHaveLength(1);
    expect(runner.trigger()).toBe(true);
    expect(started).toHaveLength(2);
    started[1]?.finish();
    await runner.idle();
  });

  it('logs a pass that throws and runs the next one as usual', async () => {
    const { logger, lines } = recordingLogger();
    const { pass, started } = manualPasses();
    const runner = new PassRunner({ pass, logger, signal: new AbortController().signal });

    runner.trigger();
    started[0]?.fail(new Error('database is locked'));
    await runner.idle();
    expect(lines).toContainEqual({
      level: 'error',
      msg: 'pass failed; the schedule goes on',
      fields: { error: 'database is locked' },
    });

    expect(runner.trigger()).toBe(true);
    started[1]?.finish();
    await runner.idle();
    expect(started).toHaveLength(2);
  });

  it('aborts the pass in hand on shutdown, waits for it, and starts no pass after', async () => {
    const shutdown = new AbortController();
    const { logger } = recordingLogger();
    const { pass, started } = manualPasses();
    const runner = new PassRunner({ pass, logger, signal: shutdown.signal });

    runner.trigger();
    const passSignal = started[0]?.signal;
    expect(passSignal?.aborted).toBe(false);
    shutdown.abort(new Error('received SIGTERM'));
    expect(passSignal?.aborted).toBe(true);
    expect((passSignal?.reason as Error).message).toBe('received SIGTERM');

    let idle = false;
    const waiting = runner.idle().then(() => (idle = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(false);
    started[0]?.finish();
    await waiting;
    expect(idle).toBe(true);

    expect(runner.trigger()).toBe(false);
    expect(started).toHaveLength(1);
  });

  it('gives each pass its own signal, leaving no listener on the shutdown signal between passes', async () => {
    const shutdown = new AbortController();
    const { logger } = recordingLogger();
    const { pass, started } = manualPasses();
    const runner = new PassRunner({ pass, logger, signal: shutdown.signal });

    for (let i = 0; i < 20; i += 1) {
      runner.trigger();
      started[i]?.finish();
      await runner.idle();
    }
    expect(new Set(started.map((s) => s.signal)).size).toBe(20);
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
  });
});
