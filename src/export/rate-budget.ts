import PQueue from 'p-queue';
import type { RequestLog } from '../store/request-log.js';
import { abortableSleep, type Sleep } from '../wechat/abortable-sleep.js';

export interface RateBudgetOptions {
  requests: RequestLog;
  appid: string;
  /** Requests allowed in any sliding `intervalMs` (WXLOG_CALLS_PER_MINUTE). */
  limit: number;
  intervalMs: number;
  now?: () => number;
  /** Default: abortableSleep (src/wechat/abortable-sleep.ts). */
  sleep?: Sleep;
}

/**
 * The search-call budget: at most `limit` userlog_search requests in **any** sliding `intervalMs`, counted
 * across every process that shares the database (send times live in SQLite).
 *
 * p-queue's own interval limiter uses fixed windows, which lets a burst at the end of one window and the
 * start of the next exceed a sliding limit; here p-queue only keeps waiters in order (one at a time, first
 * come first served) and the sliding check decides when each may go.
 */
export class RateBudget {
  private readonly queue = new PQueue({ concurrency: 1 });
  private readonly now: () => number;
  private readonly sleep: Sleep;
  /** After a 200010 nothing is sent before this instant (someone else is using the same AppID). */
  private blockedUntil = 0;
  /**
   * The span a send time counts against: the interval plus a margin, because WeChat counts arrivals and a
   * request can leave a little after it was recorded (a busy event loop, a slow connect).
   */
  private readonly spanMs: number;
  private consecutiveRateLimits = 0;
  private lastRateLimitAt = -Infinity;
  private taken = 0;
  rateLimited = 0;

  constructor(private readonly options: RateBudgetOptions) {
    if (!Number.isInteger(options.limit) || options.limit < 1)
      throw new RangeError(`Expected \`limit\` to be an integer >= 1, got ${options.limit}`);
    if (!Number.isFinite(options.intervalMs) || options.intervalMs <= 0)
      throw new RangeError(`Expected \`intervalMs\` to be a finite number > 0, got ${options.intervalMs}`);
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? abortableSleep;
    this.spanMs = options.intervalMs + Math.min(1000, Math.max(100, options.intervalMs / 50));
    // Send times older than a few intervals constrain nothing; a short run would otherwise never reach
    // the periodic prune below, and the table would grow by every run's calls.
    options.requests.pruneBefore(this.now() - 10 * options.intervalMs);
  }

  /** Requests this budget has let through in this process. */
  get requestsTaken(): number {
    return this.taken;
  }

  /** Waits until a request may be sent and records it as sent. */
  acquire(signal?: AbortSignal): Promise<void> {
    return this.queue.add<void>(() => this.waitForSlot(signal), { signal });
  }

  /** The server said 200010/45011: hold requests back, longer each time it happens in a row. */
  onRateLimited(): void {
    const now = this.now();
    this.rateLimited += 1;
    // Complaints more than an interval apart are separate incidents: start the pause over.
    this.consecutiveRateLimits =
      now - this.lastRateLimitAt > this.options.intervalMs ? 1 : this.consecutiveRateLimits + 1;
    this.lastRateLimitAt = now;
    const pause = Math.min(
      this.options.intervalMs,
      (this.options.intervalMs / 8) * 2 ** (this.consecutiveRateLimits - 1),
    );
    this.blockedUntil = Math.max(this.blockedUntil, now + pause);
  }

  private async waitForSlot(signal?: AbortSignal): Promise<void> {
    const { requests, appid, limit, intervalMs } = this.options;
    const span = this.spanMs;
    for (;;) {
      signal?.throwIfAborted();
      const now = this.now();
      if (now < this.blockedUntil) {
        await this.sleep(this.blockedUntil - now, signal);
        continue;
      }
      const wait = requests.tryTake(appid, now, limit, span);
      if (wait === 0) {
        this.taken += 1;
        if (this.taken % 500 === 0) requests.pruneBefore(now - 10 * intervalMs);
        return;
      }
      await this.sleep(wait, signal);
    }
  }
}
