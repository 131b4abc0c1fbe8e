import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forgetOldSendTimes, RateBudget } from '../../src/export/rate-budget.js';
import { silentLogger } from '../../src/log/logger.js';
import { Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A clock that only moves when a waiter sleeps: the budget is tested at exact instants. */
function fakeClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
}

function maxInAnyWindow(times: number[], spanMs: number): number {
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while ((times[hi] ?? 0) - (times[lo] ?? 0) >= spanMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

describe('rate budget', () => {
  it('never lets more than the limit through in any sliding interval, and uses the whole budget', async () => {
    const store = Store.open(join(tempDir(), 'wxlog.db'));
    const clock = fakeClock();
    const budget = new RateBudget({ requests: store.requests, appid: 'wxa', limit: 45, intervalMs: 60_000, ...clock });
    const sent: number[] = [];
    for (let i = 0; i < 200; i++) {
      await budget.acquire();
      sent.push(clock.now());
    }
    expect(maxInAnyWindow(sent, 60_000)).toBe(45);
    // 200 requests at 45 per minute need a little over four intervals, not more.
    const elapsed = (sent.at(-1) ?? 0) - (sent[0] ?? 0);
    expect(elapsed).toBeGreaterThan(4 * 60_000);
    expect(elapsed).toBeLessThan(4 * 60_000 * 1.05);
    store.close();
  });

  it('continues the budget of an earlier process that shared the database', async () => {
    const path = join(tempDir(), 'wxlog.db');
    const clock = fakeClock();
    const first = Store.open(path);
    const a = new RateBudget({ requests: first.requests, appid: 'wxa', limit: 10, intervalMs: 1000, ...clock });
    const sent: number[] = [];
    for (let i = 0; i < 10; i++) {
      await a.acquire();
      sent.push(clock.now());
    }
    first.close();
    const second = Store.open(path);
    const b = new RateBudget({ requests: second.requests, appid: 'wxa', limit: 10, intervalMs: 1000, ...clock });
    for (let i = 0; i < 10; i++) {
      await b.acquire();
      sent.push(clock.now());
    }
    expect(maxInAnyWindow(sent, 1000)).toBe(10);
    expect((sent[10] ?? 0) - (sent[0] ?? 0)).toBeGreaterThanOrEqual(1000);
    // Another app's requests do not count against this one.
    const c = new RateBudget({ requests: second.requests, appid: 'wxb', limit: 10, intervalMs: 1000, ...clock });
    const before = clock.now();
    await c.acquire();
    expect(clock.now()).toBe(before);
    second.close();
  });

  it('holds requests back after the server says it is rate limited', async () => {
    const store = Store.open(join(tempDir(), 'wxlog.db'));
    const clock = fakeClock();
    const budget = new RateBudget({ requests: store.requests, appid: 'wxa', limit: 45, intervalMs: 8000, ...clock });
    await budget.acquire();
    const t0 = clock.now();
    budget.onRateLimited();
    await budget.acquire();
    expect(clock.now() - t0).toBe(1000);
    budget.onRateLimited();
    const t1 = clock.now();
    await budget.acquire();
    expect(clock.now() - t1).toBe(2000);
    expect(budget.rateLimited).toBe(2);
    store.close();
  });

  it('keeps pausing a full interval while every request is refused, and starts over after a quiet interval', async () => {
    const store = Store.open(join(tempDir(), 'wxlog.db'));
    const clock = fakeClock();
    const budget = new RateBudget({ requests: store.requests, appid: 'wxa', limit: 45, intervalMs: 60_000, ...clock });
    // Another service keeps the AppID saturated: every request is refused 80 ms after it leaves.
    const pauses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const before = clock.now();
      await budget.acquire();
      pauses.push(clock.now() - before);
      await clock.sleep(80);
      budget.onRateLimited();
    }
    expect(pauses).toEqual([0, 7_500, 15_000, 30_000, 60_000, 60_000, 60_000, 60_000]);
    // The AppID quiet for more than an interval after the last pause: a new complaint starts over.
    await budget.acquire();
    await clock.sleep(60_001);
    budget.onRateLimited();
    const before = clock.now();
    await budget.acquire();
    expect(clock.now() - before).toBe(7_500);
    store.close();
  });

  it('rejects bad limits with exact messages', () => {
    const store = Store.open(join(tempDir(), 'wxlog.db'));
    expect(() => new RateBudget({ requests: store.requests, appid: 'a', limit: 0, intervalMs: 1 })).toThrow(
      'Expected `limit` to be an integer >= 1, got 0',
    );
    expect(() => new RateBudget({ requests: store.requests, appid: 'a', limit: 1, intervalMs: Number.NaN })).toThrow(
      'Expected `intervalMs` to be a finite number > 0, got NaN',
    );
    store.close();
  });

  it('forgets send times that can no longer constrain anything', async () => {
    const store = Store.open(join(tempDir(), 'wxlog.db'));
    const clock = fakeClock();
    const first = new RateBudget({ requests: store.requests, appid: 'wxa', limit: 5, intervalMs: 1000, ...clock });
    for (let i = 0; i < 5; i++) await first.acquire();
    expect(store.requests.since('wxa', 0)).toHaveLength(5);
    await clock.sleep(10_001);
    forgetOldSendTimes(store.requests, clock.now() - 10 * 1000, silentLogger);
    expect(store.requests.since('wxa', 0)).toHaveLength(0);
    store.close();
  });
});
