/**
 * WeChat's "50 calls per minute" as a sliding window: a request is allowed when fewer than `limit`
 * requests reached the limiter in the `intervalMs` before it. Refused requests count too, as they do
 * upstream, so a client that keeps hammering stays locked out.
 */
export class SlidingLimiter {
  readonly #limit: number;
  readonly #intervalMs: number;
  readonly #clock: () => number;
  // Arrival times, oldest first; `#head` skips the expired prefix without shifting the array each time.
  #times: number[] = [];
  #head = 0;

  constructor(limit: number, intervalMs: number, clock: () => number) {
    this.#limit = limit;
    this.#intervalMs = intervalMs;
    this.#clock = clock;
  }

  /** Records one request; true when it is within the limit. */
  tryAcquire(): boolean {
    const now = this.#clock();
    while (this.#head < this.#times.length && (this.#times[this.#head] ?? 0) <= now - this.#intervalMs) this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#times.length) {
      this.#times = this.#times.slice(this.#head);
      this.#head = 0;
    }
    const allowed = this.#times.length - this.#head < this.#limit;
    this.#times.push(now);
    return allowed;
  }
}

/**
 * The most of `times` (ascending or not) inside any half-open window `[t, t + intervalMs)`.
 */
export function maxInAnyInterval(times: readonly number[], intervalMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    const t = sorted[hi] ?? 0;
    while ((sorted[lo] ?? 0) <= t - intervalMs) lo += 1;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}
