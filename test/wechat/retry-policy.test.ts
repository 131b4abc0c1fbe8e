import { describe, expect, it } from 'vitest';
import { backoffDelay, defaultRetryPolicy, resolveRetryPolicy } from '../../src/wechat/retry-policy.js';

describe('defaultRetryPolicy', () => {
  it('holds the table of SPEC §1', () => {
    expect(defaultRetryPolicy.token).toEqual({ retries: 1, baseDelayMs: 0, maxDelayMs: 0 });
    expect(defaultRetryPolicy.rate).toEqual({ retries: 6, baseDelayMs: 2000, maxDelayMs: 60000 });
    expect(defaultRetryPolicy.transient).toEqual({ retries: 4, baseDelayMs: 500, maxDelayMs: 15000 });
    for (const kind of ['quota', 'fatal', 'params'] as const) expect(defaultRetryPolicy[kind].retries).toBe(0);
  });
});

describe('resolveRetryPolicy', () => {
  it('overrides single fields and keeps the rest', () => {
    const policy = resolveRetryPolicy({ transient: { baseDelayMs: 1 } });
    expect(policy.transient).toEqual({ retries: 4, baseDelayMs: 1, maxDelayMs: 15000 });
    expect(policy.rate).toEqual(defaultRetryPolicy.rate);
  });

  it('rejects negative, fractional and non-finite values with the field name', () => {
    expect(() => resolveRetryPolicy({ rate: { retries: -1 } })).toThrow(/retryPolicy\.rate\.retries/);
    expect(() => resolveRetryPolicy({ rate: { retries: 1.5 } })).toThrow(/retryPolicy\.rate\.retries/);
    expect(() => resolveRetryPolicy({ transient: { maxDelayMs: Number.POSITIVE_INFINITY } })).toThrow(
      /retryPolicy\.transient\.maxDelayMs/,
    );
  });
});

describe('backoffDelay', () => {
  const rule = { retries: 10, baseDelayMs: 500, maxDelayMs: 15_000 };

  it('stays within [0, min(max, base * 2^(attempt-1))) for random values across [0, 1)', () => {
    const ceilings = [500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000];
    ceilings.forEach((ceiling, i) => {
      const attempt = i + 1;
      expect(backoffDelay(rule, attempt, () => 0)).toBe(0);
      expect(backoffDelay(rule, attempt, () => 0.5)).toBeCloseTo(ceiling / 2, 9);
      const top = backoffDelay(rule, attempt, () => 0.999999);
      expect(top).toBeLessThan(ceiling);
      expect(top).toBeGreaterThan(ceiling * 0.999);
    });
  });

  it('spreads delays over the whole range (full jitter) with Math.random', () => {
    const samples = Array.from({ length: 2000 }, () => backoffDelay(rule, 3));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThan(2000);
    // Full jitter, not "ceiling plus a little": both halves of the range are used.
    expect(samples.filter((s) => s < 1000).length).toBeGreaterThan(500);
    expect(samples.filter((s) => s >= 1000).length).toBeGreaterThan(500);
  });

  it('is 0 for rules without delay', () => {
    expect(backoffDelay(defaultRetryPolicy.token, 1, () => 0.9)).toBe(0);
  });
});
