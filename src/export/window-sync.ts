import type { Logger } from '../log/logger.js';
import type { ExportEvents } from '../events/export-events.js';
import type { AsyncStore, WindowRow } from '../store/async-store.js';
import { cstDayBounds } from '../wechat/cst-day.js';
import { WechatError } from '../wechat/errors.js';
import type { SearchFilters, SearchPage, SearchParams } from '../wechat/types.js';
import { judgeProbe, minSpanOf, windowRequest, type EndtimeKnowledge, type WindowRequest } from './endtime-rule.js';
import type { PageSize } from './page-size.js';
import { ShapeTracker } from './window-split.js';
import {
  derivedPartTotal,
  derivedTotalVerdict,
  firstPageVerdict,
  partOrder,
  readVerdict,
  splitUnchanged,
  unaskableVerdict,
  type CutRoom,
  type FinalVerdict,
  type LearnEndtime,
  type Split,
} from './window-verdict.js';

/** The one call the export needs from the WeChat client. */
export interface SearchApi {
  searchLogs(params: SearchParams, signal?: AbortSignal): Promise<SearchPage>;
}

/** Running totals of one export, shared by every window it touches. */
export interface SyncCounters {
  entriesNew: number;
  entriesSeen: number;
  /** Entries read that did not have the documented shape (kept all the same). */
  unexpectedShape: number;
  windowsRead: number;
  splits: number;
}

/** The server refused a valid window of this day whatever the page size: the day is out of its retention. */
export class DayUnavailableError extends Error {
  override name = 'DayUnavailableError';

  constructor(
    readonly date: string,
    options?: { cause?: unknown },
  ) {
    super(`the server does not serve ${date} (errcode 200002 for a valid window)`, options);
  }
}

export interface WindowSyncOptions {
  appid: string;
  filterKey: string;
  filters: SearchFilters;
  api: SearchApi;
  /** On PostgreSQL, fenced by the app's lease (AsyncStore.fencedBy): its writes throw LeaseLostError once lost. */
  store: AsyncStore;
  pageSize: PageSize;
  endtime: EndtimeKnowledge;
  now: () => number;
  logger: Logger;
  signal: AbortSignal;
  counters: SyncCounters;
  /** Where `page-stored` and `window-settled` go (docs/operations.md). */
  events?: ExportEvents | undefined;
}

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
  private endtimeProbed = false;

  constructor(private readonly o: WindowSyncOptions) {
    this.maxOffsetKey = `max_offset:${o.appid}`;
  }

  private seconds(): number {
    return Math.floor(this.o.now() / 1000);
  }

  /** How `w` is asked for under what is known of the server's endtime (endtime-rule.ts). */
  private request(w: WindowRow): WindowRequest {
    return windowRequest(w.begintime, w.endtime, cstDayBounds(w.date).end, this.o.endtime.known);
  }

  private stored(w: WindowRow): Promise<number> {
    return this.o.store.windows.countStored(w.appid, w.filterKey, w.begintime, w.endtime);
  }

  /**
   * Stores a page served for `w` (one write, one transaction, fenced by the lease when the store is);
   * returns how many of its entries were new.
   */
  private async save(
    w: WindowRow,
    page: SearchPage,
    progress?: { nextStart: number; readTotal: number },
  ): Promise<number> {
    const { store, appid, filterKey, events } = this.o;
    const place = { window: w, ...(progress && { progress: { ...progress, serverTotal: page.total } }) };
    const result = await store.savePage(appid, filterKey, page.list, this.seconds(), place);
    this.o.counters.entriesNew += result.inserted;
    this.o.counters.entriesSeen += result.seen;
    this.o.counters.unexpectedShape += page.unexpected;
    if (events) {
      const stored = {
        type: 'page-stored',
        appid,
        date: w.date,
        entriesSeen: result.seen,
        entriesNew: result.inserted,
      } as const;
      if (events.wantsDayFigures) {
        // The day's figures cost two reads per page: only when a listener wants them (the progress line).
        const { begin, end } = cstDayBounds(w.date);
        const dayStored = await store.windows.countStored(appid, filterKey, begin, end);
        const root = await store.windows.dayRoot(appid, filterKey, w.date, begin, end);
        events.emit({ ...stored, dayStored, dayServerTotal: root.serverTotal });
      } else events.emit(stored);
    }
    return result.inserted;
  }

  private settled(w: WindowRow, status: string): void {
    this.o.events?.emit({ type: 'window-settled', appid: this.o.appid, date: w.date, status });
  }

  /** One request as sent, with what it teaches about the page size and the server's endtime. */
  private async send(w: WindowRow, params: SearchParams): Promise<SearchPage> {
    const page = await this.o.api.searchLogs(params, this.o.signal);
    const remaining = Math.max(0, page.total - params.start - page.list.length);
    await this.o.pageSize.served(params.limit, page.list.length, remaining);
    if (this.o.endtime.known !== 'inclusive' && page.list.some((e) => e.timestamp === params.endtime)) {
      // An entry stamped with the endtime itself came back: the server's endtime is inclusive.
      if (await this.o.endtime.learn('inclusive'))
        this.o.logger.debug("the server's endtime is inclusive", { date: w.date });
    }
    return page;
  }

  /**
   * Fetches one page of `w` at `start`. A 200002 is first taken to be about the page size (page-size.ts
   * searches the ceiling); returns null when it is about the offset instead (a size the server served was
   * refused this deep), and throws DayUnavailableError when even a one-entry first page is refused.
   */
  private async fetchPage(w: WindowRow, start: number): Promise<SearchPage | null> {
    const req = this.request(w);
    const params = (limit: number): SearchParams => ({
      date: w.date,
      begintime: req.begintime,
      endtime: req.endtime,
      start,
      limit,
      filters: this.o.filters,
    });
    let refusals = 0;
    for (;;) {
      // One request at a time tests a size not yet served (page-size.ts).
      const release = await this.o.pageSize.turn();
      try {
        const page = await this.tryPage(w, start, params, ++refusals);
        if (page !== 'retry') return page;
      } finally {
        release?.();
      }
    }
  }

  /**
   * One attempt of fetchPage at the current size (`attempt` counts from 1); 'retry' when a refusal taught
   * a size to try next.
   */
  private async tryPage(
    w: WindowRow,
    start: number,
    params: (limit: number) => SearchParams,
    attempt: number,
  ): Promise<SearchPage | null | 'retry'> {
    const limit = this.o.pageSize.current;
    try {
      return await this.send(w, params(limit));
    } catch (e: unknown) {
      if (!(e instanceof WechatError) || e.kind !== 'params') throw e;
      if (start === 0 && !this.o.pageSize.anyProven && attempt >= 2 && limit > 1) {
        // Two sizes refused and none proven yet: one entry tells a size refusal from a day the server
        // will not serve.
        try {
          const one = await this.send(w, params(1));
          await this.o.pageSize.refused(limit, this.remainingAfter(one, start));
          return one;
        } catch (inner: unknown) {
          if (inner instanceof WechatError && inner.kind === 'params')
            throw new DayUnavailableError(w.date, { cause: inner });
          throw inner;
        }
      }
      const next = await this.o.pageSize.refused(limit, await this.remainingFrom(w, start));
      if (next !== null) {
        this.o.logger.warn('server refused the page size; searching for the largest it serves', {
          refused: limit,
          next,
          start,
        });
        return 'retry';
      }
      if (start === 0) throw new DayUnavailableError(w.date, { cause: e });
      return null;
    }
  }

  private remainingAfter(page: SearchPage, start: number): number {
    return Math.max(0, page.total - start - page.list.length);
  }

  /** Entries of `w` still to read from `start`, as far as its last known total tells (unknown: 0). */
  private async remainingFrom(w: WindowRow, start: number): Promise<number> {
    const total = (await this.o.store.windows.get(w.id)).serverTotal;
    return total === null ? 0 : Math.max(0, total - start);
  }

  private knownMaxOffset(): Promise<number | undefined> {
    return this.o.store.state.getNumber(this.maxOffsetKey);
  }

  private async learnMaxOffset(start: number): Promise<void> {
    const known = await this.knownMaxOffset();
    if (start > 0 && (known === undefined || start < known)) {
      await this.o.store.state.set(this.maxOffsetKey, start, this.seconds());
      this.o.logger.info('server does not serve offsets this deep; windows beyond it are split', { maxOffset: start });
    }
  }

  /**
   * Learns whether the server's endtime is inclusive before a window is cut (the cut's second would
   * otherwise be lost where it is exclusive): asks [s - 1, s] for a second s holding a stored entry.
   * Tried once per run; while unknown, windows are asked as if exclusive (endtime-rule.ts).
   */
  private async ensureEndtimeKnown(w: WindowRow): Promise<void> {
    if (this.o.endtime.known !== undefined || this.endtimeProbed) return;
    this.endtimeProbed = true;
    const { begin, end } = cstDayBounds(w.date);
    const second = await this.o.store.windows.latestStoredSecond(w.appid, w.filterKey, begin + 1, end);
    if (second === undefined) return;
    const root = await this.o.store.windows.dayRoot(w.appid, w.filterKey, w.date, begin, end);
    const params: SearchParams = {
      date: w.date,
      begintime: second - 1,
      endtime: second,
      start: 0,
      limit: this.o.pageSize.current,
      filters: this.o.filters,
    };
    let page: SearchPage;
    try {
      page = await this.send(root, params);
    } catch (e: unknown) {
      if (e instanceof WechatError && e.kind === 'params') return;
      throw e;
    }
    await this.save(root, page);
    const rule = judgeProbe(
      second,
      page.list.map((e) => e.timestamp),
      page.total,
    );
    if (rule !== undefined && (await this.o.endtime.learn(rule)))
      this.o.logger.debug(`the server's endtime is ${rule}`, { date: w.date, probe: second });
  }

  /**
   * Brings window `w` (and its subtree) up to date. `knownTotal` is its server total when the caller could
   * derive it (a parent's total minus its siblings'), which spares a call when it matches.
   * Returns the server's total for the window as last seen.
   */
  async reconcile(w: WindowRow, knownTotal?: number): Promise<number> {
    this.o.signal.throwIfAborted();
    // Below a day's root, how a window is asked for depends on the server's endtime.
    if (w.parentId !== null || w.status === 'split') await this.ensureEndtimeKnown(w);
    const unaskable = unaskableVerdict(this.request(w));
    if (unaskable !== undefined) return this.act(w, unaskable, await this.stored(w), this.seconds());
    return w.status === 'split' ? this.reconcileSplit(w, knownTotal) : this.reconcileLeaf(w, knownTotal);
  }

  private async reconcileSplit(w: WindowRow, knownTotal?: number): Promise<number> {
    let total = knownTotal;
    if (total === undefined) {
      const probe = await this.fetchPage(w, 0);
      if (probe === null) throw new Error(`window ${w.begintime}..${w.endtime} of ${w.date}: first page refused`);
      await this.save(w, probe);
      total = probe.total;
    }
    const windows = this.o.store.windows;
    const children = await windows.children(w.id);
    // The subtree is read only when the total did not move: otherwise the split changed whatever it holds.
    const below = total === w.serverTotal ? await this.splitDescendants(children) : new Map<number, WindowRow[]>();
    const unchanged = splitUnchanged(total, w.serverTotal, children, (id) => below.get(id) ?? []);
    await windows.recordSplitCheck(w.id, total, unchanged ? await this.stored(w) : null, this.seconds());
    // Children are checked left to right; the last one's total follows from the parent's and its siblings'.
    if (!unchanged) await this.reconcileParts(children, total, (child) => windows.get(child.id));
    return total;
  }

  /** The children of every split window below `parts`, by parent id. */
  private async splitDescendants(parts: readonly WindowRow[]): Promise<Map<number, WindowRow[]>> {
    const out = new Map<number, WindowRow[]>();
    const pending = parts.filter((p) => p.status === 'split');
    for (let part = pending.pop(); part !== undefined; part = pending.pop()) {
      const children = await this.o.store.windows.children(part.id);
      out.set(part.id, children);
      pending.push(...children.filter((c) => c.status === 'split'));
    }
    return out;
  }

  /**
   * Reconciles the parts of a split window in order, deriving the last one's total from `whole` (the
   * window's total, when it can be trusted) minus what its siblings reported.
   */
  private async reconcileParts(
    parts: readonly WindowRow[],
    whole: number | undefined,
    load = (w: WindowRow): Promise<WindowRow> | WindowRow => w,
  ): Promise<void> {
    let rest = whole;
    for (const [i, part] of parts.entries()) {
      const seen = await this.reconcile(await load(part), derivedPartTotal(rest, i === parts.length - 1));
      if (rest !== undefined) rest -= seen;
    }
  }

  /** Checks a leaf: its first page, then reads, re-reads and splits as the verdicts (window-verdict.ts) say. */
  private async reconcileLeaf(w: WindowRow, knownTotal?: number): Promise<number> {
    if (knownTotal !== undefined) {
      const stored = await this.stored(w);
      const derived = derivedTotalVerdict(knownTotal, stored);
      if (derived !== undefined) return this.act(w, derived, stored, this.seconds());
    }
    for (let leaf = w; ; leaf = await this.o.store.windows.get(w.id)) {
      const first = await this.fetchPage(leaf, 0);
      if (first === null)
        throw new Error(`window ${leaf.begintime}..${leaf.endtime} of ${leaf.date}: first page refused`);
      await this.save(leaf, first);
      const stored = await this.stored(leaf);
      const reads = this.reads.get(leaf.id) ?? 0;
      const facts = {
        begin: leaf.begintime,
        stored,
        total: first.total,
        wasComplete: leaf.status === 'complete',
        pageSize: this.o.pageSize.effective,
        reads,
      };
      const verdict = await this.decide(leaf, (room) => firstPageVerdict({ ...facts, room }));
      if (verdict.kind !== 'read') return this.act(leaf, verdict, stored, this.seconds());
      this.reads.set(leaf.id, reads + 1);
      const outcome = await this.readPages(leaf, first, stored);
      const { total, totalChanged, cutShort, tracker } = outcome;
      const shape = tracker.shape();
      const after = { begin: leaf.begintime, stored: await this.stored(leaf), total, totalChanged, cutShort, shape };
      const at = this.seconds();
      const settled = await this.decide(leaf, (room) => readVerdict({ ...after, room }));
      if (settled.kind !== 'reread') return this.act(leaf, settled, after.stored, at);
    }
  }

  /** What is known, now, of where `w` can be cut (endtime-rule.ts). */
  private cutRoom(w: WindowRow): CutRoom {
    return {
      settled: this.o.endtime.known !== undefined || this.endtimeProbed,
      last: this.request(w).last,
      minSpan: minSpanOf(this.o.endtime.known),
    };
  }

  /** Asks `judge`; when it wants the endtime rule before it can say where to cut, learns that first and asks again. */
  private async decide<V extends { kind: string }>(
    w: WindowRow,
    judge: (room: CutRoom) => V | LearnEndtime,
  ): Promise<Exclude<V, LearnEndtime>> {
    let verdict = judge(this.cutRoom(w));
    if (isLearnEndtime(verdict)) {
      await this.ensureEndtimeKnown(w);
      verdict = judge(this.cutRoom(w));
      // ensureEndtimeKnown tries once per run: the room is settled now, so this cannot recur.
      if (isLearnEndtime(verdict)) throw new Error('the endtime rule was asked for twice in one decision');
    }
    return verdict as Exclude<V, LearnEndtime>;
  }

  /** Records a final verdict for `w`, or splits it and reconciles the parts; returns the window's server total. */
  private async act(w: WindowRow, verdict: FinalVerdict, stored: number, at: number): Promise<number> {
    if (verdict.kind === 'split') return this.splitAndReconcile(w, verdict);
    const { kind: status, total: serverTotal, note } = verdict;
    await this.o.store.windows.recordCheck(w.id, { status, serverTotal, storedCount: stored, at, note });
    this.settled(w, status);
    return verdict.total;
  }

  /**
   * Pages through `w` after its first page, resuming an interrupted read when the total is unchanged.
   * Stops as soon as the entries stored account for the total: in a window read before, what is new is
   * usually near the top (newest first), so a re-check rarely pages far.
   */
  private async readPages(w: WindowRow, first: SearchPage, storedAfterFirst: number): Promise<ReadOutcome> {
    this.o.counters.windowsRead += 1;
    const tracker = new ShapeTracker();
    tracker.add(timestampsOf(first));
    const readTotal = first.total;
    let total = first.total;
    let totalChanged = false;
    let cutShort = false;
    let start = first.list.length;
    // Resume only a read that was interrupted: one that reached the end is read again from the start.
    if (w.nextStart > start && w.nextStart < first.total && w.readTotal === first.total) {
      this.o.logger.debug('resuming an interrupted read', {
        date: w.date,
        window: [w.begintime, w.endtime],
        start: w.nextStart,
      });
      start = w.nextStart;
      tracker.breakSequence();
    }
    await this.o.store.windows.recordProgress(w.id, start, readTotal, total, this.seconds());
    // Entries of the window stored so far: every entry a page returns lies inside the window.
    let stored = storedAfterFirst;
    while (start < total && !(stored >= total && (await this.stored(w)) >= total)) {
      this.o.signal.throwIfAborted();
      const maxOffset = await this.knownMaxOffset();
      if (maxOffset !== undefined && start >= maxOffset) {
        cutShort = true;
        break;
      }
      const page = await this.fetchPage(w, start);
      if (page === null) {
        await this.learnMaxOffset(start);
        cutShort = true;
        break;
      }
      const next = start + page.list.length;
      stored += await this.save(w, page, { nextStart: next, readTotal });
      tracker.add(timestampsOf(page));
      if (page.total !== total) {
        totalChanged = true;
        total = page.total;
      }
      if (page.list.length === 0) {
        // An empty page before the total: the server will not serve this deep (or the window shrank).
        if (start < total) {
          cutShort = true;
          if (!totalChanged) await this.learnMaxOffset(start);
        }
        break;
      }
      start = next;
    }
    return { total, totalChanged, cutShort, tracker };
  }

  private async splitAndReconcile(w: WindowRow, split: Split): Promise<number> {
    const cuts = [split.cut];
    this.o.counters.splits += 1;
    this.o.logger.debug('splitting a window', {
      date: w.date,
      window: [w.begintime, w.endtime],
      cuts,
      reason: split.reason,
    });
    const children = await this.o.store.windows.split(w.id, cuts, split.total, this.seconds(), split.reason);
    this.settled(w, 'split');
    // Read the unread side first, so the read side's total can be derived and spare a call.
    await this.reconcileParts(
      split.knownTotal === undefined ? children : partOrder(children, split.readSide),
      split.knownTotal,
    );
    return split.total;
  }
}

function isLearnEndtime(verdict: { kind: string }): verdict is LearnEndtime {
  return verdict.kind === 'learn-endtime';
}

function timestampsOf(page: SearchPage): number[] {
  const out: number[] = [];
  for (const e of page.list) if (e.timestamp !== null) out.push(e.timestamp);
  return out;
}
