import { describe, expect, it } from 'vitest';
import { canSplit, chooseCut, isValidCut, ShapeTracker } from '../../src/export/window-split.js';

describe('window splitting', () => {
  it('cuts a newest-first read at the oldest second it reached, keeping that second in the remainder', () => {
    const t = new ShapeTracker();
    t.add([1000, 990, 990, 950]);
    t.add([940, 930]);
    expect(t.shape()).toEqual({ order: 'desc', minTs: 930, maxTs: 1000 });
    expect(chooseCut(0, 2000, t.shape())).toEqual({ cut: 930, readSide: 'upper' });
  });

  it('cuts an oldest-first read just before the newest second it reached', () => {
    const t = new ShapeTracker();
    t.add([10, 20, 20, 30]);
    expect(chooseCut(0, 100, t.shape())).toEqual({ cut: 29, readSide: 'lower' });
  });

  it('halves a window when the order is unknown', () => {
    const t = new ShapeTracker();
    t.add([10, 30, 20]);
    expect(t.shape().order).toBe('unknown');
    expect(chooseCut(0, 101, t.shape())).toEqual({ cut: 50, readSide: null });
  });

  it('halves when the order-based cut would leave a part narrower than the API accepts', () => {
    const t = new ShapeTracker();
    t.add([100, 99]);
    // [0, 99] and [100, 100]: the upper part would be one second, which WeChat refuses (endtime > begintime).
    expect(chooseCut(0, 100, t.shape())).toEqual({ cut: 50, readSide: null });
  });

  it('refuses to split a window of three seconds or less', () => {
    expect(canSplit(10, 12)).toBe(false);
    expect(canSplit(10, 13)).toBe(true);
    expect(chooseCut(10, 12, { order: 'desc', minTs: 11, maxTs: 12 })).toBeNull();
    expect(isValidCut(10, 13, 11)).toBe(true);
    expect(isValidCut(10, 13, 10)).toBe(false);
    expect(isValidCut(10, 13, 12)).toBe(false);
  });

  it('says nothing about order after the sequence is broken by skipped pages', () => {
    const t = new ShapeTracker();
    t.add([50, 40]);
    t.breakSequence();
    t.add([45, 30]);
    expect(t.shape()).toEqual({ order: 'desc', minTs: 30, maxTs: 50 });
  });
});
