import type { WechatErrorKind } from './errors.js';

/** How often an error kind is retried, and the bounds of the backoff between attempts. */
export interface RetryRule {
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** A retry rule per error kind: what withRetries (with-retries.ts) follows. */
export type RetryPolicy = Readonly<Record<WechatErrorKind, RetryRule>>;

/**
 * The one retry table. A `token` error is retried once, right after a token refresh; `rate` waits
 * for the budget (the search gate, or backoff where there is none); quota, fatal and params errors
 * would fail again the same way, so they are not retried.
 */
export const defaultRetryPolicy: Record<WechatErrorKind, RetryRule> = {
  token: { retries: 1, baseDelayMs: 0, maxDelayMs: 0 },
  rate: { retries: 6, baseDelayMs: 2_000, maxDelayMs: 60_000 },
  transient: { retries: 4, baseDelayMs: 500, maxDelayMs: 15_000 },
  quota: { retries: 0, baseDelayMs: 0, maxDelayMs: 0 },
  fatal: { retries: 0, baseDelayMs: 0, maxDelayMs: 0 },
  params: { retries: 0, baseDelayMs: 0, maxDelayMs: 0 },
};

const KINDS = Object.keys(defaultRetryPolicy) as WechatErrorKind[];

/** The default table with `overrides` applied field by field; rejects negative or non-finite values. */
export function resolveRetryPolicy(
  overrides: Partial<Record<WechatErrorKind, Partial<RetryRule>>> = {},
): Record<WechatErrorKind, RetryRule> {
  const resolved = {} as Record<WechatErrorKind, RetryRule>;
  for (const kind of KINDS) {
    const rule = { ...defaultRetryPolicy[kind], ...overrides[kind] };
    for (const field of ['retries', 'baseDelayMs', 'maxDelayMs'] as const) {
      const value = rule[field];
      if (!Number.isFinite(value) || value < 0) {
        throw new RangeError(`Expected retryPolicy.${kind}.${field} to be a finite number >= 0, got ${String(value)}`);
      }
    }
    if (!Number.isInteger(rule.retries)) {
      throw new RangeError(`Expected retryPolicy.${kind}.retries to be an integer, got ${rule.retries}`);
    }
    resolved[kind] = rule;
  }
  return resolved;
}

/**
 * Delay before retry number `attempt` (1-based), with full jitter: uniformly random between 0 and
 * the exponential ceiling `min(maxDelayMs, baseDelayMs * 2^(attempt-1))`, so that several clients
 * failing together do not retry in lockstep.
 */
export function backoffDelay(rule: RetryRule, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(rule.maxDelayMs, rule.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return random() * ceiling;
}
