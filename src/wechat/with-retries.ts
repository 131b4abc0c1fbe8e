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
  /**
   * The real wait before the retry is sent: this table's backoff plus what an outside gate will hold it
   * back (`gateMs`, the rate budget's 200010 back-off or a full interval). The log line reports this.
   */
  delayMs: number;
  /** The table's backoff alone (0 for a kind retried at once). */
  backoffMs: number;
  /** What {@link RetryRun.gateDelayMs} expected when the retry was decided; 0 without a gate. */
  gateMs: number;
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
  /**
   * How long an outside gate (the rate budget) will hold the next attempt back, asked once the retry is
   * decided: it makes {@link RetryEvent.delayMs} the real gap rather than the table's backoff alone.
   */
  gateDelayMs?(): number;
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
      const backoffMs = run.atOnce?.has(e.kind) ? 0 : backoffDelay(rule, retry, run.random);
      // The gate's wait starts now and runs alongside the backoff: the longer of the two is the gap.
      const gateMs = Math.max(0, run.gateDelayMs?.() ?? 0);
      run.onRetry?.({ error: e, retry, of: rule.retries, delayMs: Math.max(backoffMs, gateMs), backoffMs, gateMs });
      if (backoffMs > 0) await (run.sleep ?? abortableSleep)(backoffMs, signal);
    }
  }
}
