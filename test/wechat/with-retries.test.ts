import { describe, expect, it } from 'vitest';
import { WechatError, type WechatApi, type WechatErrorKind } from '../../src/wechat/errors.js';
import { resolveRetryPolicy } from '../../src/wechat/retry-policy.js';
import { withRetries, type RetryEvent, type RetryRun } from '../../src/wechat/with-retries.js';

const policy = resolveRetryPolicy({
  token: { retries: 1 },
  rate: { retries: 2, baseDelayMs: 100, maxDelayMs: 1_000 },
  transient: { retries: 3, baseDelayMs: 10, maxDelayMs: 40 },
});

function failure(kind: WechatErrorKind, api: WechatApi = 'search'): WechatError {
  return new WechatError(`${api}: ${kind}`, { kind, api });
}

/** An attempt that throws `errors` in turn, then answers 'ok'; it counts its calls. */
function scripted(...errors: Error[]): { attempt: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    attempt: async () => {
      const error = errors[calls++];
      if (error !== undefined) throw error;
      return 'ok';
    },
    calls: () => calls,
  };
}

/** A run whose sleep records its waits instead of waiting, and whose jitter is fixed at half the ceiling. */
function recorded(extra: Partial<RetryRun> = {}): {
  run: RetryRun;
  sleeps: number[];
  events: RetryEvent[];
  log: string[];
} {
  const sleeps: number[] = [];
  const events: RetryEvent[] = [];
  const log: string[] = [];
  const run: RetryRun = {
    api: 'search',
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
      log.push(`sleep ${ms}`);
    },
    onRetry: (event) => {
      events.push(event);
      log.push(`retry ${event.error.kind} ${event.retry}/${event.of}`);
    },
    ...extra,
  };
  return { run, sleeps, events, log };
}

describe('withRetries', () => {
  it('answers at once when the first attempt succeeds', async () => {
    const { attempt, calls } = scripted();
    const { run, sleeps } = recorded();
    await expect(withRetries(policy, attempt, run)).resolves.toBe('ok');
    expect(calls()).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('retries a transient error with full-jitter backoff, as often as the table allows', async () => {
    const { attempt, calls } = scripted(failure('transient'), failure('transient'), failure('transient'));
    const { run, sleeps, events } = recorded();
    await expect(withRetries(policy, attempt, run)).resolves.toBe('ok');
    expect(calls()).toBe(4);
    // random() = 0.5 of min(40, 10 * 2^(n-1)).
    expect(sleeps).toEqual([5, 10, 20]);
    expect(events.map((e) => [e.retry, e.of, e.delayMs])).toEqual([
      [1, 3, 5],
      [2, 3, 10],
      [3, 3, 20],
    ]);
  });

  it('gives up after 1 + retries attempts and throws the last error, telling onGiveUp', async () => {
    const last = failure('transient');
    const { attempt, calls } = scripted(failure('transient'), failure('transient'), failure('transient'), last);
    const given: WechatError[] = [];
    const { run } = recorded({ onGiveUp: (e) => given.push(e) });
    await expect(withRetries(policy, attempt, run)).rejects.toBe(last);
    expect(calls()).toBe(4);
    expect(given).toEqual([last]);
  });

  it.each(['quota', 'fatal', 'params'] as const)('never retries a %s error', async (kind) => {
    const error = failure(kind);
    const { attempt, calls } = scripted(error);
    const given: WechatError[] = [];
    const { run, events } = recorded({ onGiveUp: (e) => given.push(e) });
    await expect(withRetries(policy, attempt, run)).rejects.toBe(error);
    expect(calls()).toBe(1);
    expect(events).toEqual([]);
    expect(given).toEqual([error]);
  });

  it('counts retries per kind: one kind failing does not use up another kind of allowance', async () => {
    const { attempt, calls } = scripted(
      failure('token'),
      failure('transient'),
      failure('rate'),
      failure('transient'),
      failure('rate'),
    );
    const { run, log } = recorded();
    await expect(withRetries(policy, attempt, run)).resolves.toBe('ok');
    expect(calls()).toBe(6);
    expect(log.filter((line) => line.startsWith('retry'))).toEqual([
      'retry token 1/1',
      'retry transient 1/3',
      'retry rate 1/2',
      'retry transient 2/3',
      'retry rate 2/2',
    ]);
  });

  it('prepares each retry with beforeRetry, after the table allowed it and before the wait', async () => {
    const { attempt } = scripted(failure('transient'), failure('fatal'));
    const order: string[] = [];
    const { run, log } = recorded({
      beforeRetry: async (e, retry) => {
        log.push(`before ${e.kind} ${retry}`);
        order.push(e.kind);
      },
    });
    await expect(withRetries(policy, attempt, run)).rejects.toMatchObject({ kind: 'fatal' });
    expect(log).toEqual(['before transient 1', 'retry transient 1/3', 'sleep 5']);
    // The fatal error was not retried, so not prepared.
    expect(order).toEqual(['transient']);
  });

  it('ends the call with the error beforeRetry throws (a token that cannot be refreshed)', async () => {
    const { attempt, calls } = scripted(failure('token'));
    const cannot = new WechatError('cannot refresh', { kind: 'fatal', api: 'search' });
    const { run, events } = recorded({
      beforeRetry: () => {
        throw cannot;
      },
    });
    await expect(withRetries(policy, attempt, run)).rejects.toBe(cannot);
    expect(calls()).toBe(1);
    expect(events).toEqual([]);
  });

  it('tells onRateLimited of every rate error, the one it gives up on included', async () => {
    const { attempt, calls } = scripted(failure('rate'), failure('transient'), failure('rate'), failure('rate'));
    const limited: WechatError[] = [];
    const given: WechatError[] = [];
    const { run, sleeps } = recorded({ onRateLimited: (e) => limited.push(e), onGiveUp: (e) => given.push(e) });
    await expect(withRetries(policy, attempt, run)).rejects.toMatchObject({ kind: 'rate' });
    expect(calls()).toBe(4);
    expect(limited).toHaveLength(3);
    expect(given).toEqual([limited[2]]);
    // Backoff for rate: 0.5 of 100, 200; the transient's 5 between them.
    expect(sleeps).toEqual([50, 5, 100]);
  });

  it('retries the kinds in atOnce without any wait, and without drawing jitter', async () => {
    const { attempt } = scripted(failure('token'), failure('rate'), failure('transient'));
    let draws = 0;
    const { run, sleeps, events } = recorded({
      atOnce: new Set<WechatErrorKind>(['token', 'rate']),
      random: () => {
        draws++;
        return 0.5;
      },
    });
    await expect(withRetries(policy, attempt, run)).resolves.toBe('ok');
    expect(events.map((e) => [e.error.kind, e.delayMs])).toEqual([
      ['token', 0],
      ['rate', 0],
      ['transient', 5],
    ]);
    expect(sleeps).toEqual([5]);
    expect(draws).toBe(1);
  });

  it("lets another API's errors pass: the token fetch inside a search applied the table already", async () => {
    const tokenFailure = failure('transient', 'token');
    const { attempt, calls } = scripted(tokenFailure);
    const { run, events } = recorded({ api: 'search' });
    await expect(withRetries(policy, attempt, run)).rejects.toBe(tokenFailure);
    expect(calls()).toBe(1);
    expect(events).toEqual([]);
  });

  it('never retries what is not a WechatError (aborts, RangeErrors, bugs)', async () => {
    const bug = new RangeError('bad limit');
    const { attempt, calls } = scripted(bug);
    const { run } = recorded();
    await expect(withRetries(policy, attempt, run)).rejects.toBe(bug);
    expect(calls()).toBe(1);
  });

  it('stops retrying once the signal has aborted', async () => {
    const controller = new AbortController();
    const error = failure('transient');
    let calls = 0;
    const attempt = async (): Promise<string> => {
      calls++;
      controller.abort(new Error('stop'));
      throw error;
    };
    const { run, events } = recorded({ signal: controller.signal });
    await expect(withRetries(policy, attempt, run)).rejects.toBe(error);
    expect(calls).toBe(1);
    expect(events).toEqual([]);
  });

  it("rejects with the signal's reason when it aborts during a backoff (the default sleep)", async () => {
    const controller = new AbortController();
    const reason = new Error('run stopped');
    const { attempt, calls } = scripted(failure('rate'));
    const slow = resolveRetryPolicy({ rate: { retries: 1, baseDelayMs: 60_000, maxDelayMs: 60_000 } });
    const pending = withRetries(slow, attempt, {
      api: 'search',
      signal: controller.signal,
      random: () => 1,
      onRetry: () => queueMicrotask(() => controller.abort(reason)),
    });
    await expect(pending).rejects.toBe(reason);
    expect(calls()).toBe(1);
  });
});
