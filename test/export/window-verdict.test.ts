import { describe, expect, it } from 'vitest';
import { minSpanOf, windowRequest } from '../../src/export/endtime-rule.js';
import {
  derivedPartTotal,
  derivedTotalVerdict,
  firstPageVerdict,
  MAX_READS_PER_RUN,
  partOrder,
  readVerdict,
  REREAD_PAGES,
  splitUnchanged,
  unaskableVerdict,
  type CutRoom,
  type FirstPageFacts,
  type LedgerNode,
  type ReadFacts,
} from '../../src/export/window-verdict.js';
import type { ReadShape } from '../../src/export/window-split.js';

/** A day's first hour, [0, 3599], asked for under a known inclusive endtime. */
const inclusive: CutRoom = { settled: true, last: 3599, minSpan: minSpanOf('inclusive') };
const exclusive: CutRoom = { settled: true, last: 3599, minSpan: minSpanOf('exclusive') };
const unknownYet: CutRoom = { settled: false, last: 3599, minSpan: minSpanOf(undefined) };
const unordered: ReadShape = { order: 'unknown', minTs: 100, maxTs: 3000 };

function firstPage(f: Partial<FirstPageFacts> = {}): FirstPageFacts {
  return { begin: 0, stored: 10, total: 20, wasComplete: false, pageSize: 100, reads: 0, room: inclusive, ...f };
}

function afterRead(f: Partial<ReadFacts> = {}): ReadFacts {
  return {
    begin: 0,
    stored: 10,
    total: 20,
    totalChanged: false,
    cutShort: true,
    shape: unordered,
    room: inclusive,
    ...f,
  };
}

describe('unaskableVerdict', () => {
  it("is complete with nothing in it for the day's last second alone, where the endtime is exclusive", () => {
    const dayEnd = 86_399;
    expect(unaskableVerdict(windowRequest(dayEnd, dayEnd, dayEnd, 'exclusive'))).toEqual({
      kind: 'complete',
      total: 0,
      note: 'cannot be asked for: the endtime is exclusive',
    });
  });

  it('says nothing of a window that can be asked for', () => {
    expect(unaskableVerdict(windowRequest(0, 3599, 86_399, 'exclusive'))).toBeUndefined();
    expect(unaskableVerdict(windowRequest(86_398, 86_399, 86_399, 'inclusive'))).toBeUndefined();
  });
});

describe('derivedTotalVerdict', () => {
  it('completes a leaf without a call when what is stored matches the total derived from its parent', () => {
    expect(derivedTotalVerdict(42, 42)).toEqual({
      kind: 'complete',
      total: 42,
      note: 'total derived from the enclosing window',
    });
  });

  it('asks the server when the stored count differs either way', () => {
    expect(derivedTotalVerdict(42, 41)).toBeUndefined();
    expect(derivedTotalVerdict(42, 43)).toBeUndefined();
  });
});

describe('firstPageVerdict', () => {
  it('is complete when the first page leaves the stored entries accounting for the total', () => {
    expect(firstPageVerdict(firstPage({ stored: 20, total: 20 }))).toEqual({ kind: 'complete', total: 20, note: null });
  });

  it('notes entries stored beyond what the server now reports, and is still complete', () => {
    expect(firstPageVerdict(firstPage({ stored: 23, total: 20 }))).toEqual({
      kind: 'complete',
      total: 20,
      note: '3 more stored than the server now reports',
    });
  });

  it('reads a window that is short', () => {
    expect(firstPageVerdict(firstPage())).toEqual({ kind: 'read' });
  });

  it('bisects a large window that changed since it was complete, rather than paging through it again', () => {
    const total = REREAD_PAGES * 100 + 1;
    expect(firstPageVerdict(firstPage({ wasComplete: true, stored: total - 1, total }))).toEqual({
      kind: 'split',
      cut: 1799,
      readSide: null,
      total,
      knownTotal: total,
      reason: 'changed since it was complete',
    });
  });

  it('reads, not bisects, a changed complete window of REREAD_PAGES pages or fewer', () => {
    const total = REREAD_PAGES * 100;
    expect(firstPageVerdict(firstPage({ wasComplete: true, stored: total - 1, total }))).toEqual({ kind: 'read' });
  });

  it('reads, not bisects, a large window that was not complete before', () => {
    expect(firstPageVerdict(firstPage({ stored: 10, total: 10_000 }))).toEqual({ kind: 'read' });
  });

  it('asks to learn the endtime rule before bisecting while it is unknown', () => {
    expect(firstPageVerdict(firstPage({ wasComplete: true, total: 10_000, room: unknownYet }))).toEqual({
      kind: 'learn-endtime',
    });
  });

  it('does not learn the endtime rule for a window it will not cut', () => {
    expect(firstPageVerdict(firstPage({ room: unknownYet }))).toEqual({ kind: 'read' });
    expect(firstPageVerdict(firstPage({ stored: 20, room: unknownYet })).kind).toBe('complete');
  });

  it('reads a changed complete window too narrow to bisect (two seconds, inclusive endtime)', () => {
    const room: CutRoom = { settled: true, last: 1, minSpan: minSpanOf('inclusive') };
    expect(firstPageVerdict(firstPage({ wasComplete: true, total: 10_000, room }))).toEqual({ kind: 'read' });
  });

  it('bisects down to one-second parts where the endtime is exclusive', () => {
    const room: CutRoom = { settled: true, last: 1, minSpan: minSpanOf('exclusive') };
    expect(firstPageVerdict(firstPage({ wasComplete: true, total: 10_000, room }))).toMatchObject({
      kind: 'split',
      cut: 0,
    });
  });

  it(`leaves a window read ${MAX_READS_PER_RUN} times this run for the next run`, () => {
    expect(firstPageVerdict(firstPage({ reads: MAX_READS_PER_RUN - 1 }))).toEqual({ kind: 'read' });
    expect(firstPageVerdict(firstPage({ reads: MAX_READS_PER_RUN }))).toEqual({
      kind: 'incomplete',
      total: 20,
      note: 'still changing; left for the next run',
    });
  });

  it('completes a window whatever its reads, once what is stored accounts for the total', () => {
    expect(firstPageVerdict(firstPage({ reads: MAX_READS_PER_RUN, stored: 20 })).kind).toBe('complete');
  });
});

describe('readVerdict', () => {
  it('is complete when the read brought the stored entries up to the total (without a note)', () => {
    expect(readVerdict(afterRead({ stored: 20 }))).toEqual({ kind: 'complete', total: 20 });
  });

  it('reads again a window paged to the end under a steady total yet short', () => {
    expect(readVerdict(afterRead({ cutShort: false, totalChanged: false }))).toEqual({ kind: 'reread' });
    // No cut is wanted, so the endtime rule need not be known.
    expect(readVerdict(afterRead({ cutShort: false, totalChanged: false, room: unknownYet }))).toEqual({
      kind: 'reread',
    });
  });

  it('asks to learn the endtime rule before cutting while it is unknown', () => {
    expect(readVerdict(afterRead({ room: unknownYet }))).toEqual({ kind: 'learn-endtime' });
    expect(readVerdict(afterRead({ cutShort: false, totalChanged: true, room: unknownYet }))).toEqual({
      kind: 'learn-endtime',
    });
  });

  it('cut short newest first: cuts at the oldest second reached, the upper side read, its total derived', () => {
    const shape: ReadShape = { order: 'desc', minTs: 2000, maxTs: 3500 };
    expect(readVerdict(afterRead({ shape }))).toEqual({
      kind: 'split',
      cut: 2000,
      readSide: 'upper',
      total: 20,
      knownTotal: 20,
      reason: 'paging could not reach every entry',
    });
  });

  it('cut short oldest first: cuts just before the newest second reached, the lower side read', () => {
    const shape: ReadShape = { order: 'asc', minTs: 10, maxTs: 1000 };
    expect(readVerdict(afterRead({ shape }))).toMatchObject({
      kind: 'split',
      cut: 999,
      readSide: 'lower',
      knownTotal: 20,
    });
  });

  it('cut short in no order: halves the window, no side read', () => {
    expect(readVerdict(afterRead({ shape: unordered }))).toMatchObject({ kind: 'split', cut: 1799, readSide: null });
  });

  it('cut short while the total changed: cuts, but derives no part total from it', () => {
    const shape: ReadShape = { order: 'desc', minTs: 2000, maxTs: 3500 };
    expect(readVerdict(afterRead({ shape, totalChanged: true, total: 25 }))).toEqual({
      kind: 'split',
      cut: 2000,
      readSide: 'upper',
      total: 25,
      knownTotal: undefined,
      reason: 'paging could not reach every entry',
    });
  });

  it('halves a window whose total changed while paging to its end', () => {
    expect(readVerdict(afterRead({ cutShort: false, totalChanged: true, total: 30 }))).toEqual({
      kind: 'split',
      cut: 1799,
      readSide: null,
      total: 30,
      knownTotal: undefined,
      reason: 'the total changed while paging',
    });
  });

  it('leaves incomplete a window too narrow to split', () => {
    const narrow: CutRoom = { settled: true, last: 1, minSpan: minSpanOf('inclusive') };
    const incomplete = { kind: 'incomplete', total: 20, note: 'cannot be read in full and is too narrow to split' };
    expect(readVerdict(afterRead({ room: narrow }))).toEqual(incomplete);
    expect(readVerdict(afterRead({ room: narrow, cutShort: false, totalChanged: true }))).toEqual(incomplete);
  });

  it('with an exclusive endtime, splits a two-second window into one-second parts (minSpan 0)', () => {
    const two: CutRoom = { settled: true, last: 1, minSpan: minSpanOf('exclusive') };
    expect(readVerdict(afterRead({ room: two }))).toMatchObject({ kind: 'split', cut: 0 });
    // One second is as narrow as a window gets.
    const one: CutRoom = { settled: true, last: 0, minSpan: minSpanOf('exclusive') };
    expect(readVerdict(afterRead({ room: one })).kind).toBe('incomplete');
  });

  it('with an exclusive endtime, cuts newest first at a second an inclusive one would refuse', () => {
    // [0, 3599] read newest first down to 3598: the upper part [3599, 3599] is one second.
    const shape: ReadShape = { order: 'desc', minTs: 3598, maxTs: 3599 };
    expect(readVerdict(afterRead({ shape, room: exclusive }))).toMatchObject({ cut: 3598, readSide: 'upper' });
    expect(readVerdict(afterRead({ shape, room: inclusive }))).toMatchObject({ cut: 1799, readSide: null });
  });
});

describe('splitUnchanged', () => {
  const leaf = (id: number, serverTotal: number | null, status = 'complete'): LedgerNode => ({
    id,
    status,
    serverTotal,
  });
  const none = (): LedgerNode[] => [];

  it('is unchanged when the total is as it was, the parts add up to it and every leaf is complete', () => {
    expect(splitUnchanged(30, 30, [leaf(1, 10), leaf(2, 20)], none)).toBe(true);
  });

  it('looks into split parts for their leaves', () => {
    const below = new Map([[2, [leaf(3, 5), leaf(4, 15, 'incomplete')]]]);
    const childrenOf = (id: number): LedgerNode[] => below.get(id) ?? [];
    expect(splitUnchanged(30, 30, [leaf(1, 10), leaf(2, 20, 'split')], childrenOf)).toBe(false);
    below.set(2, [leaf(3, 5), leaf(4, 15)]);
    expect(splitUnchanged(30, 30, [leaf(1, 10), leaf(2, 20, 'split')], childrenOf)).toBe(true);
  });

  it('is changed when the total moved, the parts do not add up, or a part never had a total', () => {
    expect(splitUnchanged(31, 30, [leaf(1, 10), leaf(2, 20)], none)).toBe(false);
    expect(splitUnchanged(30, 30, [leaf(1, 10), leaf(2, 21)], none)).toBe(false);
    expect(splitUnchanged(30, 30, [leaf(1, 10), leaf(2, null)], none)).toBe(false);
    expect(splitUnchanged(30, null, [leaf(1, 10), leaf(2, 20)], none)).toBe(false);
  });

  it('reads the ledger below only when the totals already agree', () => {
    let asked = 0;
    const childrenOf = (): LedgerNode[] => {
      asked++;
      return [];
    };
    splitUnchanged(31, 30, [leaf(1, 10), leaf(2, 21, 'split')], childrenOf);
    expect(asked).toBe(0);
  });
});

describe('partOrder and derivedPartTotal', () => {
  it('reconciles the unread side first: the lower side read means the upper part goes first', () => {
    expect(partOrder(['lower', 'upper'], 'lower')).toEqual(['upper', 'lower']);
    expect(partOrder(['lower', 'upper'], 'upper')).toEqual(['lower', 'upper']);
    expect(partOrder(['lower', 'upper'], null)).toEqual(['lower', 'upper']);
  });

  it("derives only the last part's total, from what the siblings left of the whole", () => {
    expect(derivedPartTotal(12, false)).toBeUndefined();
    expect(derivedPartTotal(12, true)).toBe(12);
    expect(derivedPartTotal(0, true)).toBe(0);
  });

  it('derives nothing when the siblings exceed the whole (it changed between calls) or the whole is not trusted', () => {
    expect(derivedPartTotal(-1, true)).toBeUndefined();
    expect(derivedPartTotal(undefined, true)).toBeUndefined();
  });
});
