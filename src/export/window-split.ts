/**
 * Where to cut a window that paging alone cannot read in full. A ledger window is the seconds
 * [begin, end] it covers, both inclusive. WeChat needs endtime > begintime: where the server's endtime is
 * inclusive a window is asked for as it is and must span two seconds at least (`minSpan` 1); where it is
 * exclusive, [begin, end] is asked for as endtime = end + 1 and one second is enough (`minSpan` 0). The
 * caller passes as `end` the last second the window can be served (docs/real-api.md).
 */

/** The smallest window the API accepts when its endtime is inclusive: begintime and endtime one second apart. */
export const MIN_WINDOW_SPAN = 1;

/** What one read of a window saw, in the server's order. */
export interface ReadShape {
  /** Timestamps were non-increasing (newest first) or non-decreasing across the pages read. */
  order: 'desc' | 'asc' | 'unknown';
  minTs: number | null;
  maxTs: number | null;
}

/** A cut at second `cut` makes [begin, cut] and [cut + 1, end]: valid when both span `minSpan` at least. */
export function isValidCut(begin: number, end: number, cut: number, minSpan = MIN_WINDOW_SPAN): boolean {
  return cut - begin >= minSpan && end - (cut + 1) >= minSpan;
}

export function canSplit(begin: number, end: number, minSpan = MIN_WINDOW_SPAN): boolean {
  return end - begin >= 2 * minSpan + 1;
}

export function midpoint(begin: number, end: number): number {
  return Math.floor((begin + end) / 2);
}

/**
 * Chooses the cut after a read stopped short of `total`. When the server serves newest first, the read
 * covered everything from the oldest timestamp it reached to `end`, so only [begin, minTs] remains
 * unread (the entries at minTs itself may be only partly read, so that second stays in the remainder);
 * oldest first is the mirror image. Otherwise, or when that cut is not valid, the window is halved.
 * Returns the cut and whether the part on the read side is fully read, or null when the window is too
 * narrow to split.
 */
export function chooseCut(
  begin: number,
  end: number,
  shape: ReadShape,
  minSpan = MIN_WINDOW_SPAN,
): { cut: number; readSide: 'upper' | 'lower' | null } | null {
  if (!canSplit(begin, end, minSpan)) return null;
  if (shape.order === 'desc' && shape.minTs !== null && isValidCut(begin, end, shape.minTs, minSpan)) {
    return { cut: shape.minTs, readSide: 'upper' };
  }
  if (shape.order === 'asc' && shape.maxTs !== null && isValidCut(begin, end, shape.maxTs - 1, minSpan)) {
    return { cut: shape.maxTs - 1, readSide: 'lower' };
  }
  return { cut: midpoint(begin, end), readSide: null };
}

/** Tracks the order of timestamps across the pages of one read. */
export class ShapeTracker {
  private nonIncreasing = true;
  private nonDecreasing = true;
  private last: number | null = null;
  minTs: number | null = null;
  maxTs: number | null = null;

  add(timestamps: readonly number[]): void {
    for (const ts of timestamps) {
      if (this.last !== null) {
        if (ts > this.last) this.nonIncreasing = false;
        if (ts < this.last) this.nonDecreasing = false;
      }
      this.last = ts;
      this.minTs = this.minTs === null ? ts : Math.min(this.minTs, ts);
      this.maxTs = this.maxTs === null ? ts : Math.max(this.maxTs, ts);
    }
  }

  /** Forget the sequence (pages were skipped) but keep the range seen. */
  breakSequence(): void {
    this.last = null;
  }

  shape(): ReadShape {
    // All equal (or nothing) says nothing about the order.
    const order =
      this.minTs === this.maxTs ? 'unknown' : this.nonIncreasing ? 'desc' : this.nonDecreasing ? 'asc' : 'unknown';
    return { order, minTs: this.minTs, maxTs: this.maxTs };
  }
}
