import { describe, expect, it } from 'vitest';
import { abortableSleep } from '../../src/wechat/abortable-sleep.js';

describe('abortableSleep', () => {
  it('resolves after the delay', async () => {
    const started = Date.now();
    await abortableSleep(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });

  it("rejects with the signal's own reason when it aborts during the wait", async () => {
    const controller = new AbortController();
    const reason = new Error('run stopped');
    const sleeping = abortableSleep(10_000, controller.signal);
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
  });

  it('rejects at once when the signal has already aborted', async () => {
    const reason = new Error('closed');
    await expect(abortableSleep(10_000, AbortSignal.abort(reason))).rejects.toBe(reason);
  });
});
