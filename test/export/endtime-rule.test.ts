import { describe, expect, it } from 'vitest';
import { judgeProbe, minSpanOf, windowRequest } from '../../src/export/endtime-rule.js';
import { canSplit, chooseCut, isValidCut } from '../../src/export/window-split.js';

const DAY_END = 1_000_000;

describe('windowRequest', () => {
  it('asks a window as it is where the endtime is inclusive', () => {
    expect(windowRequest(100, 200, DAY_END, 'inclusive')).toEqual({ begintime: 100, endtime: 200, last: 200 });
  });

  it("asks one second more where it is exclusive, or unknown, so the window's last second comes back", () => {
    expect(windowRequest(100, 200, DAY_END, 'exclusive')).toEqual({ begintime: 100, endtime: 201, last: 200 });
    expect(windowRequest(100, 200, DAY_END, undefined)).toEqual({ begintime: 100, endtime: 201, last: 200 });
  });

  it('cannot reach past the day: a window ending at its last second reaches the second before', () => {
    expect(windowRequest(100, DAY_END, DAY_END, 'exclusive')).toEqual({
      begintime: 100,
      endtime: DAY_END,
      last: DAY_END - 1,
    });
    // The day's last second alone cannot be asked for at all.
    const alone = windowRequest(DAY_END, DAY_END, DAY_END, 'exclusive');
    expect(alone.endtime).toBeLessThanOrEqual(alone.begintime);
  });

  it('lets exclusive windows be cut down to one second, inclusive ones to two', () => {
    expect(minSpanOf('inclusive')).toBe(1);
    expect(minSpanOf('exclusive')).toBe(0);
    expect(canSplit(10, 11, minSpanOf('exclusive'))).toBe(true);
    expect(canSplit(10, 11, minSpanOf('inclusive'))).toBe(false);
    expect(isValidCut(10, 11, 10, 0)).toBe(true);
    expect(chooseCut(10, 11, { order: 'desc', minTs: 11, maxTs: 11 }, 0)).toEqual({ cut: 10, readSide: null });
  });
});

describe('judgeProbe', () => {
  it('says inclusive when an entry stamped with the endtime came back', () => {
    expect(judgeProbe(50, [49, 50], 2)).toBe('inclusive');
  });

  it('says exclusive when the whole answer came back without one', () => {
    expect(judgeProbe(50, [49, 49], 2)).toBe('exclusive');
    expect(judgeProbe(50, [], 0)).toBe('exclusive');
  });

  it('says nothing when the answer was cut short before such an entry', () => {
    expect(judgeProbe(50, [49], 3)).toBeUndefined();
  });
});
