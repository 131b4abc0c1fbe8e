import type { WindowRequest } from './endtime-rule.js';
import { canSplit, chooseCut, midpoint, type ReadShape } from './window-split.js';

/**
 * What to do with a ledger window, decided from what was read of it and nothing else: no I/O here.
 * window-sync.ts does the reading and acts on the verdicts.
 */

/** A leaf that changed and holds more than this many pages is bisected rather than read again in full. */
export const REREAD_PAGES = 4;
/** Full reads of one window in one run before it is left for the next run. */
export const MAX_READS_PER_RUN = 3;

/** The part of a split window that a read already covered in full, if any (window-split.ts chooseCut). */
export type ReadSide = 'upper' | 'lower' | null;

/** The stored entries account for the server's total: record it so. */
export interface Complete {
  kind: 'complete';
  total: number;
  note?: string | null;
}

/** Left for the next run, with the reason in the ledger's note. */
export interface Incomplete {
  kind: 'incomplete';
  total: number;
  note: string;
}

/**
 * Cut the window at `cut` into [begin, cut] and [cut + 1, end], then reconcile both. `knownTotal` is the
 * window's total when it can be trusted to derive the second part's from the first's (a steady total);
 * `readSide` is read second, since its total is the one derived.
 */
export interface Split {
  kind: 'split';
  cut: number;
  readSide: ReadSide;
  total: number;
  knownTotal: number | undefined;
  reason: string;
}

/** Page through the window (after its first page). */
export interface Read {
  kind: 'read';
}

/** Read the window again from its first page: it was paged to the end yet came up short. */
export interface Reread {
  kind: 'reread';
}

/** A cut is wanted but the server's endtime rule is not yet known: learn it first, then decide again. */
export interface LearnEndtime {
  kind: 'learn-endtime';
}

/** A verdict that ends the window's turn: recorded, or split and descended into. */
export type FinalVerdict = Complete | Incomplete | Split;

/** What is known of the server's endtime, as far as cutting `w` is concerned (endtime-rule.ts). */
export interface CutRoom {
  /** The rule is known, or this run already tried to learn it: decide with what there is. */
  settled: boolean;
  /** The last second a request for the window can return. */
  last: number;
  /** The least span of a part (endtime-rule.ts minSpanOf). */
  minSpan: number;
}

/**
 * A window that cannot be asked for at all: the day's last second alone, where the endtime is exclusive
 * (endtime-rule.ts). It is complete with nothing in it, since no request can serve it.
 */
export function unaskableVerdict(request: WindowRequest): Complete | undefined {
  if (request.endtime > request.begintime) return undefined;
  return { kind: 'complete', total: 0, note: 'cannot be asked for: the endtime is exclusive' };
}

/**
 * A leaf whose total the caller derived from its parent and siblings is complete, without a call, when
 * the stored count matches.
 */
export function derivedTotalVerdict(knownTotal: number, stored: number): Complete | undefined {
  if (stored !== knownTotal) return undefined;
  return { kind: 'complete', total: knownTotal, note: 'total derived from the enclosing window' };
}

/** What the first page of a leaf says. */
export interface FirstPageFacts {
  begin: number;
  /** Entries stored for the window, the first page saved. */
  stored: number;
  /** The total the first page reported. */
  total: number;
  /** The ledger had the window complete before this check. */
  wasComplete: boolean;
  /** Entries a page holds (page-size.ts `effective`). */
  pageSize: number;
  /** Full reads of the window this run so far. */
  reads: number;
  room: CutRoom;
}

/**
 * After a leaf's first page: complete if the stored entries account for the total; a large window that
 * was complete and changed only a little is bisected to find where, rather than paged through again; a
 * window read too often this run is left for the next; otherwise it is read.
 */
export function firstPageVerdict(f: FirstPageFacts): Complete | Incomplete | Split | Read | LearnEndtime {
  if (f.stored >= f.total) {
    return {
      kind: 'complete',
      total: f.total,
      note: f.stored > f.total ? `${f.stored - f.total} more stored than the server now reports` : null,
    };
  }
  if (f.wasComplete && f.total > REREAD_PAGES * f.pageSize) {
    if (!f.room.settled) return { kind: 'learn-endtime' };
    if (canSplit(f.begin, f.room.last, f.room.minSpan)) {
      return {
        kind: 'split',
        cut: midpoint(f.begin, f.room.last),
        readSide: null,
        total: f.total,
        knownTotal: f.total,
        reason: 'changed since it was complete',
      };
    }
  }
  if (f.reads + 1 > MAX_READS_PER_RUN) {
    return { kind: 'incomplete', total: f.total, note: 'still changing; left for the next run' };
  }
  return { kind: 'read' };
}

/** What a read of a leaf's pages saw. */
export interface ReadFacts {
  begin: number;
  /** Entries stored for the window after the read. */
  stored: number;
  /** The last total the server reported. */
  total: number;
  totalChanged: boolean;
  /** Paging stopped before `total`: an empty page, or an offset the server will not serve. */
  cutShort: boolean;
  /** The order and range of the timestamps read (window-split.ts ShapeTracker). */
  shape: ReadShape;
  room: CutRoom;
}

/** After a read: complete, read again, split (where the read suggests), or incomplete when too narrow to split. */
export function readVerdict(f: ReadFacts): FinalVerdict | Reread | LearnEndtime {
  if (f.stored >= f.total) return { kind: 'complete', total: f.total };
  // Paged to the end with a steady total yet short: entries were inserted above the offsets already read.
  // Read it again (the reads cap of firstPageVerdict stops a window that never settles).
  if (!f.cutShort && !f.totalChanged) return { kind: 'reread' };
  if (!f.room.settled) return { kind: 'learn-endtime' };
  const { last, minSpan } = f.room;
  const choice = f.cutShort
    ? chooseCut(f.begin, last, f.shape, minSpan)
    : canSplit(f.begin, last, minSpan)
      ? { cut: midpoint(f.begin, last), readSide: null }
      : null;
  if (choice === null) {
    return { kind: 'incomplete', total: f.total, note: 'cannot be read in full and is too narrow to split' };
  }
  return {
    kind: 'split',
    cut: choice.cut,
    readSide: choice.readSide,
    total: f.total,
    // With a steady total, the read side's total follows from the parent's minus the remainder's.
    knownTotal: f.totalChanged ? undefined : f.total,
    reason: f.cutShort ? 'paging could not reach every entry' : 'the total changed while paging',
  };
}

/** A window of the ledger as far as the split check needs it. */
export interface LedgerNode {
  id: number;
  status: string;
  serverTotal: number | null;
}

/**
 * A split window whose total is what it was, whose children's totals add up to it, and whose leaves are
 * all complete is unchanged: nothing below it needs a call. `childrenOf` reads the ledger; it is asked
 * only when the totals already agree.
 */
export function splitUnchanged(
  total: number,
  lastTotal: number | null,
  children: readonly LedgerNode[],
  childrenOf: (id: number) => readonly LedgerNode[],
): boolean {
  return (
    total === lastTotal &&
    children.reduce((sum, c) => sum + (c.serverTotal ?? Number.NaN), 0) === total &&
    subtreeComplete(children, childrenOf)
  );
}

function subtreeComplete(children: readonly LedgerNode[], childrenOf: (id: number) => readonly LedgerNode[]): boolean {
  return children.every((c) =>
    c.status === 'split' ? subtreeComplete(childrenOf(c.id), childrenOf) : c.status === 'complete',
  );
}

/** The order a split's parts are reconciled in: the unread side first, so that the read side's total can be derived. */
export function partOrder<T>(parts: readonly T[], readSide: ReadSide): T[] {
  return readSide === 'lower' ? [...parts].reverse() : [...parts];
}

/**
 * The total of a part known from the whole's: for the last part, the whole's total minus its siblings'
 * (`rest`), unless that is negative (the window changed between the calls); none for the others, or when
 * the whole's total is not to be trusted.
 */
export function derivedPartTotal(rest: number | undefined, isLast: boolean): number | undefined {
  return isLast && rest !== undefined && rest >= 0 ? rest : undefined;
}
