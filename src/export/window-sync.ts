import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import type { WindowRow } from '../store/window-ledger.js';
import { WechatError } from '../wechat/errors.js';
import type { SearchFilters, SearchPage, SearchParams } from '../wechat/types.js';
import type { PageSize } from './page-size.js';
import { canSplit, chooseCut, midpoint, ShapeTracker } from './window-split.js';

/** The one call the export needs from the WeChat client. */
export interface SearchApi {
  searchLogs(params: SearchParams, signal?: AbortSignal): Promise<SearchPage>;
}

/** Running totals of one export, shared by every window it touches. */
export interface SyncCounters {
  entriesNew: number;
  entriesSeen: number;
  windowsRead: number;
  splits: number;
}

export interface WindowSyncOptions {
  appid: string;
  filterKey: string;
  filters: SearchFilters;
  api: SearchApi;
  store: Store;
  pageSize: PageSize;
  now: () => number;
  logger: Logger;
  signal: AbortSignal;
  counters: SyncCounters;
}

/** A leaf that changed and holds more than this many pages is bisected rather than read again in full. */
const REREAD_PAGES = 4;
/** Full reads of one window in one run before it is left for the next run. */
const MAX_READS_PER_RUN = 3;

/** What a read of a window's pages saw. */
interface ReadOutcome {
  /** The last total the server reported. */
  total: number;
  totalChanged: boolean;
  /** Paging stopped before `total`: an empty page, or an offset the server will not serve. */
  cutShort: boolean;
  tracker: ShapeTracker;
}

/**
 * Reconciles windows of the coverage ledger with the server. A window is complete only when the entries
 * stored for it account for the total the server reports; a window that paging cannot read in full is
 * split, and a split window is checked with one call and descended into only where totals differ.
 */
export class WindowSync {
  private readonly reads = new Map<number, number>();
  private readonly maxOffsetKey: string;

  constructor(private readonly o: WindowSyncOptions) {
    this.maxOffsetKey = `max_offset:${o.appid}`;
  }

  private seconds(): number {
    return Math.floor(this.o.now() / 1000);
  }

  private params(w: WindowRow, start: number, limit: number): SearchParams {
    return { date: w.date, begintime: w.begintime, endtime: w.endtime, start, limit, filters: this.o.filters };
  }

  private stored(w: WindowRow): number {
    return this.o.store.windows.countStored(w.appid, w.filterKey, w.begintime, w.endtime);
  }

  /** Stores a page; returns how many of its entries were new. */
  private save(page: SearchPage, progress?: { w: WindowRow; nextStart: number; readTotal: number }): number {
    const result = this.o.store.savePage(
      this.o.appid,
      this.o.filterKey,
      page.list,
      this.seconds(),
      progress && { windowId: progress.w.id, nextStart: progress.nextStart, readTotal: progress.readTotal, serverTotal: page.total },
    );
    this.o.counters.entriesNew += result.inserted;
    this.o.counters.entriesSeen += result.seen;
    return result.inserted;
  }

  /**
   * Fetches one page at `start`, halving the page size on a 200002 (SPEC §1). Returns null when the
   * refusal is about the offset, not the size: the same size was served earlier in this read
   * (`provenSize`), or even the smallest size is refused here.
   */
  private async fetchPage(w: WindowRow, start: number, provenSize?: number): Promise<SearchPage | null> {
    const before = this.o.pageSize.current;
    for (;;) {
      const limit = this.o.pageSize.current;
      try {
        const page = await this.o.api.searchLogs(this.params(w, start, limit), this.o.signal);
        this.o.pageSize.confirm();
        return page;
      } catch (e: unknown) {
        if (!(e instanceof WechatError) || e.kind !== 'params') throw e;
        if (start > 0 && limit === provenSize) return null;
        if (this.o.pageSize.halve(limit)) {
          this.o.logger.warn('server refused the page size; halving it', { limit: this.o.pageSize.current, start });
          continue;
        }
        if (start === 0) throw e;
        this.o.pageSize.restore(before);
        return null;
      }
    }
  }

  private knownMaxOffset(): number | undefined {
    return this.o.store.state.getNumber(this.maxOffsetKey);
  }

  private learnMaxOffset(start: number): void {
    const known = this.knownMaxOffset();
    if (start > 0 && (known === undefined || start < known)) {
      this.o.store.state.set(this.maxOffsetKey, start, this.seconds());
      this.o.logger.info('server does not serve offsets this deep; windows beyond it are split', { maxOffset: start });
    }
  }

  /**
   * Brings window `w` (and its subtree) up to date. `knownTotal` is its server total when the caller could
   * derive it (a parent's total minus its siblings'), which spares a call when it matches.
   * Returns the server's total for the window as last seen.
   */
  async reconcile(w: WindowRow, knownTotal?: number): Promise<number> {
    this.o.signal.throwIfAborted();
    return w.status === 'split' ? this.reconcileSplit(w, knownTotal) : this.reconcileLeaf(w, knownTotal);
  }

  private async reconcileSplit(w: WindowRow, knownTotal?: number): Promise<number> {
    let total = knownTotal;
    if (total === undefined) {
      const probe = await this.fetchPage(w, 0);
      if (probe === null) throw new Error(`window ${w.begintime}..${w.endtime} of ${w.date}: first page refused`);
      this.save(probe);
      total = probe.total;
    }
    const children = this.o.store.windows.children(w.id);
    const unchanged =
      total === w.serverTotal &&
      children.reduce((sum, c) => sum + (c.serverTotal ?? Number.NaN), 0) === total &&
      this.subtreeComplete(children);
    const at = this.seconds();
    this.o.store.windows.recordSplitCheck(w.id, total, unchanged ? this.stored(w) : null, at);
    if (unchanged) return total;
    // Children are checked left to right; the last one's total follows from the parent's and its siblings'.
    let rest = total;
    for (const [i, child] of children.entries()) {
      const last = i === children.length - 1;
      const seen = await this.reconcile(this.o.store.windows.get(child.id), last && rest >= 0 ? rest : undefined);
      rest -= seen;
    }
    return total;
  }

  private subtreeComplete(children: WindowRow[]): boolean {
    return children.every((c) =>
      c.status === 'split' ? this.subtreeComplete(this.o.store.windows.children(c.id)) : c.status === 'complete',
    );
  }

  private async reconcileLeaf(w: WindowRow, knownTotal?: number): Promise<number> {
    const windows = this.o.store.windows;
    if (knownTotal !== undefined) {
      const stored = this.stored(w);
      if (stored === knownTotal) {
        windows.recordCheck(w.id, { status: 'complete', serverTotal: knownTotal, storedCount: stored, at: this.seconds(), note: 'total derived from the enclosing window' });
        return knownTotal;
      }
    }
    const first = await this.fetchPage(w, 0);
    if (first === null) throw new Error(`window ${w.begintime}..${w.endtime} of ${w.date}: first page refused`);
    this.save(first);
    const stored = this.stored(w);
    if (stored >= first.total) {
      windows.recordCheck(w.id, {
        status: 'complete',
        serverTotal: first.total,
        storedCount: stored,
        at: this.seconds(),
        note: stored > first.total ? `${stored - first.total} more stored than the server now reports` : null,
      });
      return first.total;
    }
    // Something is missing. A large window that was complete changed only a little: bisect to find where,
    // rather than paging through all of it again.
    if (w.status === 'complete' && first.total > REREAD_PAGES * this.o.pageSize.current && canSplit(w.begintime, w.endtime)) {
      return this.splitAndReconcile(w, [midpoint(w.begintime, w.endtime)], first.total, first.total, 'changed since it was complete');
    }
    const reads = (this.reads.get(w.id) ?? 0) + 1;
    this.reads.set(w.id, reads);
    if (reads > MAX_READS_PER_RUN) {
      windows.recordCheck(w.id, { status: 'incomplete', serverTotal: first.total, storedCount: stored, at: this.seconds(), note: 'still changing; left for the next run' });
      return first.total;
    }
    const outcome = await this.readPages(w, first, stored);
    return this.settle(w, outcome);
  }

  /**
   * Pages through `w` after its first page, resuming an interrupted read when the total is unchanged.
   * Stops as soon as the entries stored account for the total: in a window read before, what is new is
   * usually near the top (newest first), so a re-check rarely pages far.
   */
  private async readPages(w: WindowRow, first: SearchPage, storedAfterFirst: number): Promise<ReadOutcome> {
    this.o.counters.windowsRead += 1;
    const tracker = new ShapeTracker();
    tracker.add(first.list.map((e) => e.timestamp));
    const readTotal = first.total;
    let total = first.total;
    let totalChanged = false;
    let cutShort = false;
    let start = first.list.length;
    // The first page was served at the current size: a later refusal at that size is about the offset.
    const provenSize = this.o.pageSize.current;
    // Resume only a read that was interrupted: one that reached the end is read again from the start.
    if (w.nextStart > start && w.nextStart < first.total && w.readTotal === first.total) {
      this.o.logger.debug('resuming an interrupted read', { date: w.date, window: [w.begintime, w.endtime], start: w.nextStart });
      start = w.nextStart;
      tracker.breakSequence();
    }
    this.o.store.windows.recordProgress(w.id, start, readTotal, total, this.seconds());
    // Entries of the window stored so far: every entry a page returns lies inside the window.
    let stored = storedAfterFirst;
    while (start < total && !(stored >= total && this.stored(w) >= total)) {
      this.o.signal.throwIfAborted();
      const maxOffset = this.knownMaxOffset();
      if (maxOffset !== undefined && start >= maxOffset) {
        cutShort = true;
        break;
      }
      const page = await this.fetchPage(w, start, provenSize);
      if (page === null) {
        this.learnMaxOffset(start);
        cutShort = true;
        break;
      }
      const next = start + page.list.length;
      stored += this.save(page, { w, nextStart: next, readTotal });
      tracker.add(page.list.map((e) => e.timestamp));
      if (page.total !== total) {
        totalChanged = true;
        total = page.total;
      }
      if (page.list.length === 0) {
        // An empty page before the total: the server will not serve this deep (or the window shrank).
        if (start < total) {
          cutShort = true;
          if (!totalChanged) this.learnMaxOffset(start);
        }
        break;
      }
      start = next;
    }
    return { total, totalChanged, cutShort, tracker };
  }

  /** Decides what a finished read means for `w`: complete, split, or incomplete for the next run. */
  private async settle(w: WindowRow, outcome: ReadOutcome): Promise<number> {
    const stored = this.stored(w);
    const at = this.seconds();
    if (stored >= outcome.total) {
      this.o.store.windows.recordCheck(w.id, { status: 'complete', serverTotal: outcome.total, storedCount: stored, at });
      return outcome.total;
    }
    if (!outcome.cutShort && !outcome.totalChanged) {
      // Paged to the end with a steady total yet short: entries were inserted above the offsets already read.
      // Read it again (the reads cap above stops a window that never settles).
      return this.reconcileLeaf(this.o.store.windows.get(w.id));
    }
    const choice = outcome.cutShort ? chooseCut(w.begintime, w.endtime, outcome.tracker.shape()) : canSplit(w.begintime, w.endtime) ? { cut: midpoint(w.begintime, w.endtime), readSide: null } : null;
    if (choice === null) {
      this.o.store.windows.recordCheck(w.id, {
        status: 'incomplete',
        serverTotal: outcome.total,
        storedCount: stored,
        at,
        note: 'cannot be read in full and is too narrow to split',
      });
      return outcome.total;
    }
    const reason = outcome.cutShort ? 'paging could not reach every entry' : 'the total changed while paging';
    // With a steady total, the read side's total follows from the parent's minus the remainder's.
    const parentTotal = outcome.totalChanged ? undefined : outcome.total;
    return this.splitAndReconcile(w, [choice.cut], outcome.total, parentTotal, reason, choice.readSide);
  }

  private async splitAndReconcile(
    w: WindowRow,
    cuts: number[],
    serverTotal: number,
    knownTotal: number | undefined,
    reason: string,
    readSide: 'upper' | 'lower' | null = null,
  ): Promise<number> {
    this.o.counters.splits += 1;
    this.o.logger.debug('splitting a window', { date: w.date, window: [w.begintime, w.endtime], cuts, reason });
    const children = this.o.store.windows.split(w.id, cuts, serverTotal, this.seconds(), reason);
    if (knownTotal === undefined) {
      for (const child of children) await this.reconcile(child);
      return serverTotal;
    }
    // Read the unread side first, so the read side's total can be derived and spare a call.
    const ordered = readSide === 'lower' ? [...children].reverse() : children;
    let rest = knownTotal;
    for (const [i, child] of ordered.entries()) {
      const last = i === ordered.length - 1;
      rest -= await this.reconcile(child, last && rest >= 0 ? rest : undefined);
    }
    return knownTotal;
  }
}
