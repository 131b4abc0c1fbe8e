import type { LogEntry } from '../wechat/types.js';
import { addCstDays, cstDayBounds, cstDayOf, isCstDay, recentCstDays } from '../wechat/cst-day.js';
import { DataGenerator } from './data-generator.js';
import { DayIndex } from './day-index.js';
import { ShuffledWindows, shuffleKeys, type ResultOrder } from './result-order.js';
import { applyShapeDrift, driftsNothing, type ResolvedShapeDrift } from './shape-drift.js';

/** WeChat's document: only today and the 6 days before can be queried. */
export const DEFAULT_SERVED_DAYS = 7;
/** Longer than any We分析 plan's retention (7, 14 or 30 days), so every plan can be played. */
export const MAX_SERVED_DAYS = 60;

export interface LogStoreOptions {
  /** 32-bit seed. */
  seed: number;
  perDay: number;
  lateFraction: number;
  /** Calendar clock, unix ms. */
  now: () => number;
  order: ResultOrder;
  /** 'exclusive': entries at exactly `endtime` are outside the window. */
  endtime: 'inclusive' | 'exclusive';
  /** CST days served, today included (setServedDays changes it). */
  servedDays: number;
  /** CST days that hold entries, today included; older ones are dropped. */
  dataDays: number;
  shapeDrift: ResolvedShapeDrift;
}

/** A validated `userlog_search` query. Filters that are `undefined` were not given. */
export interface StoreQuery {
  date: string;
  begintime: number;
  endtime: number;
  start: number;
  limit: number;
  level: number | undefined;
  url: string | undefined;
  openid: string | undefined;
  traceId: string | undefined;
  filterMsg: string | undefined;
}

/**
 * The simulated server's log data over the days that hold data, and what is served of it. Days are laid
 * out on first use; entries exist once their timestamp is not after `now` (late ones only once released).
 */
export class LogStore {
  readonly #options: LogStoreOptions;
  readonly #generator: DataGenerator;
  readonly #days = new Map<string, DayIndex>();
  readonly #shuffled = new ShuffledWindows();
  readonly #drifts: boolean;
  #servedDays: number;

  constructor(options: LogStoreOptions) {
    this.#options = options;
    // Enough users that filters by OpenID find a handful of launches, few enough that users come back.
    this.#generator = new DataGenerator(options.seed, Math.min(20_000, Math.max(50, Math.round(options.perDay / 6))));
    this.#servedDays = options.servedDays;
    this.#drifts = !driftsNothing(options.shapeDrift);
  }

  nowSeconds(): number {
    return Math.floor(this.#options.now() / 1000);
  }

  /** The CST days served, oldest first. */
  retentionDays(): string[] {
    return recentCstDays(this.nowSeconds(), this.#servedDays);
  }

  /** The CST days that hold data, oldest first (served or not). */
  dataDays(): string[] {
    return recentCstDays(this.nowSeconds(), this.#options.dataDays);
  }

  /** A plan change: from now on the last `days` days are served. Served days beyond dataDays hold no entries. */
  setServedDays(days: number): void {
    this.#servedDays = days;
  }

  /** Page of a search; the query must already be valid (date served, times inside the day). */
  search(query: StoreQuery): { total: number; list: LogEntry[] } {
    // A served day without data: its logs were gone before the plan started serving it.
    if (!this.#hasData(query.date)) return { total: 0, list: [] };
    const { keys, total } = this.#searchKeys(query);
    const index = this.#index(query.date);
    return { total, list: keys.map((key) => this.#serve(index, key)) };
  }

  /** Entries served for `day` with no filters, in the server's order; none for a day not served. */
  entries(day: string): LogEntry[] {
    if (!this.retentionDays().includes(day)) return [];
    const { begin, end } = cstDayBounds(day);
    return this.search(fullDayQuery(day, begin, end)).list;
  }

  count(day: string): number {
    if (!this.retentionDays().includes(day) || !this.#hasData(day)) return 0;
    const { begin, end } = cstDayBounds(day);
    return this.#index(day).count(begin, this.#lastSecond(end));
  }

  /** Releases late entries of every day with data up to now; returns how many became visible. */
  releaseLate(): number {
    const now = this.nowSeconds();
    let released = 0;
    for (const day of this.dataDays()) released += this.#index(day).releaseLate(now);
    return released;
  }

  /**
   * Adds `count` entries to `day` with timestamps drawn (seeded) from `between`, inclusive, or from the
   * part of the day up to now; returns them newest first.
   */
  add(day: string, count: number, between?: readonly [number, number]): LogEntry[] {
    if (!isCstDay(day))
      throw new RangeError(`Expected \`day\` to be a CST day as YYYYMMDD, got ${JSON.stringify(day)}`);
    if (!Number.isInteger(count) || count < 0)
      throw new RangeError(`Expected \`count\` to be an integer >= 0, got ${count}`);
    const bounds = cstDayBounds(day);
    const lo = Math.max(bounds.begin, Math.ceil(between?.[0] ?? bounds.begin));
    const hi = Math.min(bounds.end, Math.floor(between?.[1] ?? Math.min(bounds.end, this.nowSeconds())));
    if (count > 0 && hi < lo) {
      throw new RangeError(`No second of ${day} lies in the range to add entries to (${lo}..${hi})`);
    }
    const index = this.#index(day);
    const rng = index.addedRng();
    const timestamps = Array.from({ length: count }, () => lo + rng.int(hi - lo + 1));
    return index.add(timestamps).map((key) => this.#serve(index, key));
  }

  #serve(index: DayIndex, key: number): LogEntry {
    const source = index.source(key);
    const entry = this.#generator.buildEntry(source);
    return this.#drifts ? applyShapeDrift(entry, source.entrySeed, this.#options.shapeDrift) : entry;
  }

  #hasData(day: string): boolean {
    const today = cstDayOf(this.nowSeconds());
    return day <= today && day >= addCstDays(today, -(this.#options.dataDays - 1));
  }

  /** The last second a window ending at `endtime` serves: not `endtime` itself when exclusive, never after now. */
  #lastSecond(endtime: number): number {
    return Math.min(this.#options.endtime === 'exclusive' ? endtime - 1 : endtime, this.nowSeconds());
  }

  #searchKeys(query: StoreQuery): { total: number; keys: number[] } {
    const index = this.#index(query.date);
    const end = this.#lastSecond(query.endtime);
    const match = this.#matcher(index, query);
    const { order } = this.#options;
    if (order !== 'shuffled')
      return index.page(query.begintime, end, query.start, query.limit, match, order === 'newest');
    const { date, begintime, level, url, openid, traceId, filterMsg } = query;
    const cacheKey = JSON.stringify([date, begintime, end, index.version, level, url, openid, traceId, filterMsg]);
    const keys = this.#shuffled.keys(cacheKey, () => shuffleKeys(index.matching(begintime, end, match), index.seed));
    return { total: keys.length, keys: Array.from(keys.subarray(query.start, query.start + query.limit)) };
  }

  /** The filter of a query as a predicate on keys; undefined when the query has no filter. */
  #matcher(index: DayIndex, query: StoreQuery): ((key: number) => boolean) | undefined {
    const filtered =
      query.level !== undefined ||
      query.url !== undefined ||
      query.openid !== undefined ||
      query.traceId !== undefined ||
      query.filterMsg !== undefined;
    if (!filtered) return undefined;
    const { level, url, openid, traceId, filterMsg } = query;
    return (key) => {
      if (level !== undefined && index.level(key) < level) return false;
      if (url === undefined && openid === undefined && traceId === undefined && filterMsg === undefined) return true;
      const header = this.#generator.header(index.source(key));
      if (url !== undefined && header.url !== url) return false;
      if (openid !== undefined && header.id !== openid) return false;
      if (traceId !== undefined && header.traceid !== traceId) return false;
      if (filterMsg !== undefined && !(header.filterMsg ?? '').includes(filterMsg)) return false;
      return true;
    };
  }

  #index(day: string): DayIndex {
    let index = this.#days.get(day);
    if (!index) {
      index = DayIndex.generate(day, this.#options);
      this.#days.set(day, index);
      this.#evictExpired();
    }
    return index;
  }

  // Days whose data is gone are never served again; dropping them keeps a long-running simulator small.
  #evictExpired(): void {
    const oldest = this.dataDays()[0] ?? '';
    for (const day of this.#days.keys()) if (day < oldest) this.#days.delete(day);
  }
}

function fullDayQuery(date: string, begintime: number, endtime: number): StoreQuery {
  return {
    date,
    begintime,
    endtime,
    start: 0,
    limit: Number.MAX_SAFE_INTEGER,
    level: undefined,
    url: undefined,
    openid: undefined,
    traceId: undefined,
    filterMsg: undefined,
  };
}
