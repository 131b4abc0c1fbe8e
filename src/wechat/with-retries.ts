import { abortableSleep, type Sleep } from './abortable-sleep.js';
import { WechatError, type WechatApi, type WechatErrorKind } from './errors.js';
import { backoffDelay, type RetryPolicy } from './retry-policy.js';

/** One retry about to happen: what failed, which retry of the kind's allowance it is, and the wait before it. */
export interface RetryEvent {
  error: WechatError;
  /** 1 for the first retry of this error kind. */
  retry: number;
  /** Retries the table allows this kind. */
  of: number;
  delayMs: number;
}

/** How one call is retried: which API's failures count, and what happens around each retry. */
export interface RetryRun {
  /**
   * Only failures of this API are retried. Any other WechatError passes through: a token fetch failing
   * inside a search attempt has had the table applied by its own withRetries already.
   */
  api: WechatApi;
  /** Once aborted, nothing is retried and a backoff in progress rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /**
   * Kinds retried at once, without the table's backoff: a token error once its token is refreshed, a
   * rate error where an outside budget already holds requests back (waiting here as well would only
   * waste budget time).
   */
  atOnce?: ReadonlySet<WechatErrorKind>;
  /** Default: abortableSleep. */
  sleep?: Sleep;
  /** The jitter's source (retry-policy.ts backoffDelay). Default: Math.random. */
  random?: () => number;
  /**
   * Every rate error (200010/45011) of `api`, retried or not: an outside budget should hold back even
   * when this call gives up.
   */
  onRateLimited?(error: WechatError): void;
  /**
   * The table allows another attempt: make it worth trying (a token refresh). A throw ends the call
   * with that error.
   */
  beforeRetry?(error: WechatError, retry: number): Promise<void> | void;
  /** Right before the wait that precedes a retry (counting, logging). */
  onRetry?(event: RetryEvent): void;
  /** The table allows no more attempts of this kind: `error` is thrown next. */
  onGiveUp?(error: WechatError): void;
}

/**
 * Runs `attempt` until it succeeds or the retry table (retry-policy.ts) says to stop, counting retries
 * per error kind. Aborts, RangeErrors and bugs are not upstream failures: they are never retried.
 */
export async function withRetries<T>(policy: RetryPolicy, attempt: () => Promise<T>, run: RetryRun): Promise<T> {
  const { api, signal } = run;
  const used: Partial<Record<WechatErrorKind, number>> = {};
  for (;;) {
    try {
      return await attempt();
    } catch (e: unknown) {
      if (!(e instanceof WechatError) || signal?.aborted || e.api !== api) throw e;
      if (e.kind === 'rate') run.onRateLimited?.(e);
      const rule = policy[e.kind];
      const retry = (used[e.kind] ?? 0) + 1;
      if (retry > rule.retries) {
        run.onGiveUp?.(e);
        throw e;
      }
      used[e.kind] = retry;
      await run.beforeRetry?.(e, retry);
      const delayMs = run.atOnce?.has(e.kind) ? 0 : backoffDelay(rule, retry, run.random);
      run.onRetry?.({ error: e, retry, of: rule.retries, delayMs });
      if (delayMs > 0) await (run.sleep ?? abortableSleep)(delayMs, signal);
    }
  }
}
