import PQueue from 'p-queue';
import type { BudgetWaitReason, ExportEvents } from '../events/export-events.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { abortableSleep, type Sleep } from '../wechat/abortable-sleep.js';
import { formatCst } from '../wechat/cst-day.js';

type Awaitable<T> = T | Promise<T>;

/**
 * The shared send times (src/store/async-store.ts, AsyncRequestLog): either engine's, or the synchronous
 * SQLite `RequestLog` itself.
 */
export interface BudgetRequestLog {
  tryTake(appid: string, nowMs: number, limit: number, spanMs: number): Awaitable<number>;
  pruneBefore(beforeMs: number): Awaitable<void>;
  since(appid: string, sinceMs: number): Awaitable<number[]>;
}

/**
 * Forgets the send times before `beforeMs` of every app: older than a few intervals, they constrain
 * nothing. The process part does it once at the start of each pass (a short run never reaches a budget's
 * periodic prune, and the table would grow by every run's calls); each budget again every 500 calls.
 * Housekeeping: a failure is logged, never a reason to stop sending.
 */
export function forgetOldSendTimes(requests: BudgetRequestLog, beforeMs: number, log: Logger): void {
  const failed = (e: unknown): void => log.warn('could not forget old send times', { error: String(e) });
  try {
    const pruning = requests.pruneBefore(beforeMs);
    if (pruning instanceof Promise) pruning.catch(failed);
  } catch (e: unknown) {
    failed(e);
  }
}

export interface RateBudgetOptions {
  requests: BudgetRequestLog;
  appid: string;
  /** Requests allowed in any sliding `intervalMs` (WXLOG_CALLS_PER_MINUTE). */
  limit: number;
  intervalMs: number;
  now?: () => number;
  /** Default: abortableSleep (src/wechat/abortable-sleep.ts). */
  sleep?: Sleep;
  /** Where `budget-waiting` and `budget-wait` go (docs/operations.md). */
  events?: ExportEvents | undefined;
  /** Logs one line per wait longer than `longWaitMs`: why, and until when. Default: silent. */
  logger?: Logger | undefined;
  /** Default 2000. */
  longWaitMs?: number;
}

const WHY: Record<BudgetWaitReason, string> = {
  budget: "this process's own calls filled the interval",
  shared: 'calls of another process sharing the database are in the interval',
  'rate-limited': 'holding back after WeChat refused a call with 200010/45011',
};

/**
 * The search-call budget: at most `limit` userlog_search requests in **any** sliding `intervalMs`, counted
 * across every process that shares the database (send times live in the database: SQLite's write lock or
 * PostgreSQL's row lock makes each take atomic).
 *
 * p-queue's own interval limiter uses fixed windows, which lets a burst at the end of one window and the
 * start of the next exceed a sliding limit; here p-queue only keeps waiters in order (one at a time, first
 * come first served) and the sliding check decides when each may go.
 */
export class RateBudget {
  private readonly queue = new PQueue({ concurrency: 1 });
  private readonly now: () => number;
  private readonly sleep: Sleep;
  private readonly log: Logger;
  private readonly longWaitMs: number;
  /** After a 200010 nothing is sent before this instant (someone else is using the same AppID). */
  private blockedUntil = 0;
  /**
   * The span a send time counts against: the interval plus a margin, because WeChat counts arrivals and a
   * request can leave a little after it was recorded (a busy event loop, a new connection's connect and TLS
   * handshake). A fiftieth of the interval, at least 200 ms (a process's first requests on a loaded machine
   * were seen arriving 100+ ms after they were recorded) or the interval itself when shorter (the
   * benches' time-scaled 100 ms), and at most 1 s: 1 s at WeChat's minute. Whole milliseconds, as the
   * send times are in PostgreSQL's bigint column.
   */
  private readonly spanMs: number;
  private consecutiveRateLimits = 0;
  private lastRateLimitAt = -Infinity;
  private taken = 0;
  /** This process's send times inside the span: any other send time in the log is another process's. */
  private readonly ownSends: number[] = [];
  /** Send times of other processes seen at the last look into the log: what `expectedWaitMs` counts. */
  private othersSeen: number[] = [];
  /** When the log last said the next slot frees (0: it did not refuse one). */
  private slotFreeAt = 0;
  rateLimited = 0;

  constructor(private readonly options: RateBudgetOptions) {
    if (!Number.isInteger(options.limit) || options.limit < 1)
      throw new RangeError(`Expected \`limit\` to be an integer >= 1, got ${options.limit}`);
    if (!Number.isFinite(options.intervalMs) || options.intervalMs <= 0)
      throw new RangeError(`Expected \`intervalMs\` to be a finite number > 0, got ${options.intervalMs}`);
    const longWaitMs = options.longWaitMs ?? 2000;
    if (!Number.isFinite(longWaitMs) || longWaitMs < 0)
      throw new RangeError(`Expected \`longWaitMs\` to be a finite number >= 0, got ${longWaitMs}`);
    this.longWaitMs = longWaitMs;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? abortableSleep;
    this.log = (options.logger ?? silentLogger).child({ component: 'rate-budget', appid: options.appid });
    this.spanMs =
      options.intervalMs +
      Math.min(1000, Math.max(Math.ceil(options.intervalMs / 50), Math.min(200, options.intervalMs)));
  }

  private prune(beforeMs: number): void {
    forgetOldSendTimes(this.options.requests, beforeMs, this.log);
  }

  /** Requests this budget has let through in this process. */
  get requestsTaken(): number {
    return this.taken;
  }

  /** Waits until a request may be sent and records it as sent. */
  acquire(signal?: AbortSignal): Promise<void> {
    return this.queue.add<void>(() => this.waitForSlot(signal), { signal });
  }

  /**
   * About how long a request asked for now would wait (a 200010 back-off, or a full interval), ignoring
   * waiters already queued: what a retry's log line adds to its own backoff. From what this budget last
   * saw of the log (its own sends and the others' at its last look), so that it needs no query.
   */
  expectedWaitMs(): number {
    const now = this.now();
    return Math.max(0, this.blockedUntil - now, this.slotFreeAt - now, this.slotWait(now));
  }

  /** The server said 200010/45011: hold requests back, longer each time it happens in a row. */
  onRateLimited(): void {
    const now = this.now();
    this.rateLimited += 1;
    // A complaint more than an interval after the last pause ended is a separate incident: start the pause
    // over. Measured from the pause's end, not the complaint: after a full interval's pause, the next request
    // (and its complaint) always comes more than an interval after the last complaint, and the pause would
    // start over at an eighth while the AppID stayed saturated.
    const quietSince = Math.max(this.lastRateLimitAt, this.blockedUntil);
    this.consecutiveRateLimits = now - quietSince > this.options.intervalMs ? 1 : this.consecutiveRateLimits + 1;
    this.lastRateLimitAt = now;
    const pause = Math.min(
      this.options.intervalMs,
      (this.options.intervalMs / 8) * 2 ** (this.consecutiveRateLimits - 1),
    );
    this.blockedUntil = Math.max(this.blockedUntil, now + pause);
  }

  // The wait the send times known here impose right now (the same rule as RequestLog.tryTake).
  private slotWait(now: number): number {
    const since = now - this.spanMs;
    const sent = [...this.othersSeen, ...this.ownSends].filter((t) => t > since).sort((a, b) => a - b);
    const { limit } = this.options;
    const blocking = sent.length >= limit ? sent[sent.length - limit] : undefined;
    return blocking === undefined ? 0 : Math.max(0, blocking + this.spanMs - now + 1);
  }

  // Whether send times in the span are not all this process's own.
  private async sharedWith(now: number): Promise<boolean> {
    const since = now - this.spanMs;
    while (this.ownSends.length > 0 && (this.ownSends[0] ?? 0) <= since) this.ownSends.shift();
    const sent = await this.options.requests.since(this.options.appid, since + 1);
    const own = new Set(this.ownSends);
    this.othersSeen = sent.filter((t) => !own.has(t));
    return sent.length > this.ownSends.length;
  }

  private async waitForSlot(signal?: AbortSignal): Promise<void> {
    const { requests, appid, limit, intervalMs, events } = this.options;
    const span = this.spanMs;
    const began = this.now();
    let waiting: { reason: BudgetWaitReason; untilMs: number } | undefined;
    const wait = async (ms: number, reason: BudgetWaitReason): Promise<void> => {
      if (waiting === undefined) {
        waiting = { reason, untilMs: this.now() + ms };
        events?.emit({ type: 'budget-waiting', appid, ...waiting });
        if (ms > this.longWaitMs) {
          this.log.info(`waiting for the rate budget until ${formatCst(waiting.untilMs / 1000)} CST: ${WHY[reason]}`, {
            reason,
            waitMs: Math.round(ms),
            until: new Date(waiting.untilMs).toISOString(),
          });
        }
      }
      await this.sleep(ms, signal);
    };
    try {
      for (;;) {
        signal?.throwIfAborted();
        const now = this.now();
        if (now < this.blockedUntil) {
          await wait(this.blockedUntil - now, 'rate-limited');
          continue;
        }
        const ms = await requests.tryTake(appid, now, limit, span);
        if (ms === 0) {
          this.taken += 1;
          this.ownSends.push(now);
          this.slotFreeAt = 0;
          if (this.taken % 500 === 0) this.prune(now - 10 * intervalMs);
          return;
        }
        this.slotFreeAt = now + ms;
        await wait(ms, (await this.sharedWith(now)) ? 'shared' : 'budget');
      }
    } finally {
      // Also when aborted: the time was spent waiting all the same.
      if (waiting !== undefined) {
        events?.emit({ type: 'budget-wait', appid, waitedMs: this.now() - began, ...waiting });
      }
    }
  }
}
