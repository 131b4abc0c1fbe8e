import type { LogEntry } from '../wechat/types.js';
import { cstDayBounds, isCstDay, recentCstDays } from '../wechat/cst-day.js';
import { DataGenerator } from './data-generator.js';
import { DayIndex } from './day-index.js';

/** WeChat keeps realtime logs for today and the 6 days before. */
export const RETENTION_DAYS = 7;

export interface LogStoreOptions {
  /** 32-bit seed. */
  seed: number;
  perDay: number;
  lateFraction: number;
  /** Calendar clock, unix ms. */
  now: () => number;
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
 * The simulated server's log data over the retention window. Days are laid out on first use; entries
 * exist once their timestamp is not after `now` (late ones only once released).
 */
export class LogStore {
  readonly #options: LogStoreOptions;
  readonly #generator: DataGenerator;
  readonly #days = new Map<string, DayIndex>();

  constructor(options: LogStoreOptions) {
    this.#options = options;
    // Enough users that filters by OpenID find a handful of launches, few enough that users come back.
    this.#generator = new DataGenerator(options.seed, Math.min(20_000, Math.max(50, Math.round(options.perDay / 6))));
  }

  nowSeconds(): number {
    return Math.floor(this.#options.now() / 1000);
  }

  retentionDays(): string[] {
    return recentCstDays(this.nowSeconds(), RETENTION_DAYS);
  }

  /** Page of a search; the query must already be valid (date inside retention, times inside the day). */
  search(query: StoreQuery): { total: number; list: LogEntry[] } {
    const { keys, total } = this.#searchKeys(query);
    const index = this.#index(query.date);
    return { total, list: keys.map((key) => this.#generator.buildEntry(index.source(key))) };
  }

  /** Entries served for `day` with no filters, newest first; none outside retention. */
  entries(day: string): LogEntry[] {
    if (!this.retentionDays().includes(day)) return [];
    const { begin, end } = cstDayBounds(day);
    return this.search(fullDayQuery(day, begin, end)).list;
  }

  count(day: string): number {
    if (!this.retentionDays().includes(day)) return 0;
    const { begin, end } = cstDayBounds(day);
    return this.#index(day).count(begin, Math.min(end, this.nowSeconds()));
  }

  /** Releases late entries of every retention day up to now; returns how many became visible. */
  releaseLate(): number {
    const now = this.nowSeconds();
    let released = 0;
    for (const day of this.retentionDays()) released += this.#index(day).releaseLate(now);
    return released;
  }

  /**
   * Adds `count` entries to `day` with timestamps drawn (seeded) from `between`, inclusive, or from the
   * part of the day up to now; returns them newest first.
   */
  add(day: string, count: number, between?: readonly [number, number]): LogEntry[] {
    if (!isCstDay(day)) throw new RangeError(`Expected \`day\` to be a CST day as YYYYMMDD, got ${JSON.stringify(day)}`);
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`Expected \`count\` to be an integer >= 0, got ${count}`);
    const bounds = cstDayBounds(day);
    const lo = Math.max(bounds.begin, Math.ceil(between?.[0] ?? bounds.begin));
    const hi = Math.min(bounds.end, Math.floor(between?.[1] ?? Math.min(bounds.end, this.nowSeconds())));
    if (count > 0 && hi < lo) {
      throw new RangeError(`No second of ${day} lies in the range to add entries to (${lo}..${hi})`);
    }
    const index = this.#index(day);
    const rng = index.addedRng();
    const timestamps = Array.from({ length: count }, () => lo + rng.int(hi - lo + 1));
    return index.add(timestamps).map((key) => this.#generator.buildEntry(index.source(key)));
  }

  #searchKeys(query: StoreQuery): { total: number; keys: number[] } {
    const index = this.#index(query.date);
    const end = Math.min(query.endtime, this.nowSeconds());
    const filtered =
      query.level !== undefined ||
      query.url !== undefined ||
      query.openid !== undefined ||
      query.traceId !== undefined ||
      query.filterMsg !== undefined;
    if (!filtered) return index.page(query.begintime, end, query.start, query.limit);
    const { level, url, openid, traceId, filterMsg } = query;
    return index.page(query.begintime, end, query.start, query.limit, (key) => {
      if (level !== undefined && index.level(key) < level) return false;
      if (url === undefined && openid === undefined && traceId === undefined && filterMsg === undefined) return true;
      const header = this.#generator.header(index.source(key));
      if (url !== undefined && header.url !== url) return false;
      if (openid !== undefined && header.id !== openid) return false;
      if (traceId !== undefined && header.traceid !== traceId) return false;
      if (filterMsg !== undefined && !(header.filterMsg ?? '').includes(filterMsg)) return false;
      return true;
    });
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

  // Days that left retention are never served again; dropping them keeps a long-running simulator small.
  #evictExpired(): void {
    const oldest = this.retentionDays()[0] ?? '';
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
