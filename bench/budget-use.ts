/** How a stream of request arrivals used a sliding budget of `limit` per `intervalMs`. */
export interface BudgetUse {
  requests: number;
  /** The most arrivals inside any sliding interval. */
  maxInInterval: number;
  /** From the first arrival to the last. */
  spanMs: number;
  /** The least time from first to last any sender within the budget needs for as many requests. */
  leastMs: number;
  /**
   * The share of the budget used while work remained: the least time any sender within the budget needs
   * for the same requests (a full interval's worth at once, then one interval's worth per interval:
   * ⌊(requests − 1) / limit⌋ intervals from the first to the last), divided by the time taken from the
   * first request to the last. 100% is the budget used to the full; it cannot be exceeded.
   */
  share: number;
}

/**
 * The longest delay between a request's recorded send time (wxlog's `search_requests`) and its arrival
 * at the simulator, matching both in order; a recorded send that never arrived (a killed process) is
 * skipped once it is more than `giveUpMs` older than the next arrival, an arrival whose record was
 * pruned is skipped too.
 */
export function worstSendDelay(recorded: readonly number[], arrivals: readonly number[], giveUpMs = 1000): number {
  const sent = [...recorded].sort((a, b) => a - b);
  const came = [...arrivals].sort((a, b) => a - b);
  let worst = 0;
  let i = 0;
  for (const t of came) {
    while (i < sent.length && (sent[i] ?? 0) < t - giveUpMs) i += 1;
    if (i >= sent.length) break;
    // Arrived before the next recorded send: its record was pruned (wxlog forgets old send times).
    if (t < (sent[i] ?? 0)) continue;
    worst = Math.max(worst, t - (sent[i] ?? t));
    i += 1;
  }
  return worst;
}

/** Measures `arrivals` (unix ms, any order) against a sliding budget. */
export function budgetUse(arrivals: readonly number[], limit: number, intervalMs: number): BudgetUse {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let maxInInterval = 0;
  // Two pointers: the arrivals inside (t - intervalMs, t] for each arrival t.
  for (let hi = 0, lo = 0; hi < sorted.length; hi += 1) {
    while ((sorted[lo] ?? 0) <= (sorted[hi] ?? 0) - intervalMs) lo += 1;
    maxInInterval = Math.max(maxInInterval, hi - lo + 1);
  }
  const spanMs = sorted.length < 2 ? 0 : (sorted.at(-1) ?? 0) - (sorted[0] ?? 0);
  const leastMs = Math.floor((sorted.length - 1) / limit) * intervalMs;
  const share = spanMs === 0 ? Number.NaN : leastMs / spanMs;
  return { requests: sorted.length, maxInInterval, spanMs, leastMs, share };
}
