import { describe, expect, it } from 'vitest';
import { SlidingLimiter, maxInAnyInterval } from '../../src/simulator/sliding-limiter.js';

describe('SlidingLimiter', () => {
  it('allows `limit` requests per sliding interval and counts refused ones too', () => {
    let now = 0;
    const limiter = new SlidingLimiter(3, 1000, () => now);
    expect([limiter.tryAcquire(), limiter.tryAcquire(), limiter.tryAcquire(), limiter.tryAcquire()]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    now = 999; // the first three are still inside (now - 1000, now]
    expect(limiter.tryAcquire()).toBe(false);
    now = 1000; // the first three and the refusal at 0 left the window; the refusal at 999 did not
    expect([limiter.tryAcquire(), limiter.tryAcquire(), limiter.tryAcquire()]).toEqual([true, true, false]);
    now = 1998; // 999 left; 1000, 1000 and the refusal at 1000 remain
    expect(limiter.tryAcquire()).toBe(false);
    now = 2000; // all of those left; the refusal at 1998 remains
    expect([limiter.tryAcquire(), limiter.tryAcquire(), limiter.tryAcquire()]).toEqual([true, true, false]);
  });

  it('never lets more than `limit` through in any window under steady pressure', () => {
    let now = 0;
    const limiter = new SlidingLimiter(5, 100, () => now);
    const allowed: number[] = [];
    for (let i = 0; i < 2000; i++) {
      now += (i * 7919) % 41; // irregular gaps averaging 20: about the limit's pace, sometimes zero
      if (limiter.tryAcquire()) allowed.push(now);
    }
    expect(allowed.length).toBeGreaterThan(50);
    expect(maxInAnyInterval(allowed, 100)).toBeLessThanOrEqual(5);
  });

  it('allows nothing when the limit is 0', () => {
    const limiter = new SlidingLimiter(0, 1000, () => 0);
    expect(limiter.tryAcquire()).toBe(false);
  });
});

describe('maxInAnyInterval', () => {
  it('finds the busiest half-open window of the given length', () => {
    expect(maxInAnyInterval([], 1000)).toBe(0);
    expect(maxInAnyInterval([0, 999, 1000, 1998, 1999, 2500], 1000)).toBe(3); // 1000, 1998, 1999
    expect(maxInAnyInterval([5, 0, 5, 5], 1)).toBe(3);
    expect(maxInAnyInterval([0, 1000, 2000], 1000)).toBe(1);
  });
});
