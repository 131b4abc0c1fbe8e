import { cstDayBounds } from '../wechat/cst-day.js';
import { entryLevel, type EntrySource } from './data-generator.js';
import { EXAMPLE_LEVEL, EXAMPLE_SECOND_OF_DAY } from './document-example.js';
import { createRng, hashInts, type Rng } from './prng.js';

/*
 * One CST day of simulated entries, kept compact: each entry is a single float64 key
 * `timestamp * REF_SPACE + ref` in a sorted array, plus a few typed arrays indexed by `ref`. Sorting the keys
 * gives the server's order (timestamp, then ref) for free, and a time window is a binary search away, so
 * unfiltered pages cost O(log n + limit) even at 150 000 entries a day. Entries are rebuilt from seeds
 * only when served; filtered queries scan the window.
 */

// ts < 2^31 and ref < 2^22 keep every key an exact integer below 2^53.
const REF_SPACE = 2 ** 22;
/** Refs from here on are entries added after generation (addEntries, addDuringPaging). */
const ADDED_BASE = 2 ** 21;
/** The most entries one day can be generated with. */
export const MAX_PER_DAY = ADDED_BASE;

const STREAM_LAYOUT = 0x1a70;
const STREAM_SESSION = 0x5e55;
const STREAM_ENTRY = 0xe117;
const STREAM_LATE = 0x1a7e;
const STREAM_ADDED = 0xadd0;
const STREAM_ADDED_SESSION = 0xadd1;
const STREAM_ADDED_ENTRY = 0xadd2;

// Relative activity per CST hour: quiet at night, busy in the evening, like a shop's Mini Program.
const HOUR_WEIGHTS = [3, 2, 1, 1, 1, 1, 2, 4, 6, 7, 8, 8, 9, 8, 7, 7, 7, 7, 8, 9, 10, 10, 8, 5];
const HOUR_TOTAL = HOUR_WEIGHTS.reduce((a, b) => a + b, 0);

/**
 * The ref of the day's last generated entry when it belongs to an ordinary launch (not the two at the
 * day's edges): that entry becomes the document's example, so the day keeps `perDay` entries. None on
 * days too small to spare one.
 */
function exampleRef(sessionOf: Uint32Array): number {
  const last = sessionOf.length - 1;
  return last >= 0 && (sessionOf[last] ?? 0) >= 2 ? last : -1;
}

export function keyTimestamp(key: number): number {
  return Math.floor(key / REF_SPACE);
}

function firstKeyOfSecond(ts: number): number {
  return ts * REF_SPACE;
}

/** Index of the first key >= `key`. */
function lowerBound(keys: Float64Array, key: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] ?? 0) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function mergeSorted(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] ?? 0;
    const y = b[j] ?? 0;
    if (x <= y) {
      out[k++] = x;
      i += 1;
    } else {
      out[k++] = y;
      j += 1;
    }
  }
  out.set(a.subarray(i), k);
  out.set(b.subarray(j), k + a.length - i);
  return out;
}

function sampleSecondOfDay(rng: Rng): number {
  let roll = rng.next() * HOUR_TOTAL;
  let hour = 0;
  for (const weight of HOUR_WEIGHTS) {
    if (roll < weight) break;
    roll -= weight;
    hour += 1;
  }
  return Math.min(hour, 23) * 3600 + rng.int(3600);
}

// Data versions are unique across every day index, so a cache keyed by one never mistakes a day
// laid out again after eviction for the one it replaced.
let nextVersion = 1;

export interface DayIndexOptions {
  /** The simulator's 32-bit seed. */
  seed: number;
  perDay: number;
  lateFraction: number;
}

export class DayIndex {
  readonly day: string;
  readonly #daySeed: number;
  readonly #sessionOf: Uint32Array;
  readonly #stepOf: Uint8Array;
  readonly #levelOf: Uint8Array;
  readonly #launchOf: Uint32Array;
  readonly #exampleRef: number;
  #visible: Float64Array;
  // Late entries, held back until released.
  #late: Float64Array;
  #added = 0;
  #version = nextVersion++;

  private constructor(
    day: string,
    daySeed: number,
    arrays: { sessionOf: Uint32Array; stepOf: Uint8Array; levelOf: Uint8Array; launchOf: Uint32Array },
    visible: Float64Array,
    late: Float64Array,
  ) {
    this.day = day;
    this.#daySeed = daySeed;
    this.#sessionOf = arrays.sessionOf;
    this.#stepOf = arrays.stepOf;
    this.#levelOf = arrays.levelOf;
    this.#launchOf = arrays.launchOf;
    this.#exampleRef = exampleRef(arrays.sessionOf);
    this.#visible = visible;
    this.#late = late;
  }

  /**
   * Lays out a full day: launches (sessions) at times following HOUR_WEIGHTS, each with a few entries
   * seconds to minutes apart under one traceid. The first launch logs at 00:00:00 and the second at
   * 23:59:59, so both edges of the day are always exercised. The last entry is replaced by the
   * document's example entry at its time of day (11:59:56 CST), never held back as late.
   */
  static generate(day: string, options: DayIndexOptions): DayIndex {
    const { begin, end } = cstDayBounds(day);
    const daySeed = hashInts(options.seed, Number(day));
    const rng = createRng(hashInts(daySeed, STREAM_LAYOUT));
    const n = options.perDay;
    const tsOf = new Uint32Array(n);
    const sessionOf = new Uint32Array(n);
    const stepOf = new Uint8Array(n);
    const levelOf = new Uint8Array(n);
    const launches: number[] = [];
    let ord = 0;
    for (let session = 0; ord < n; session++) {
      const start = session === 0 ? begin : session === 1 ? end : begin + sampleSecondOfDay(rng);
      const size = Math.min(12, 1 + Math.floor(-Math.log(1 - rng.next()) * 3.2));
      // The traceid names the launch, a little before the first log call (possibly the day before).
      launches.push(start - (hashInts(daySeed, session, STREAM_SESSION) % 20));
      let t = start;
      for (let step = 0; step < size && ord < n; step++, ord++) {
        // Now and then two calls of one launch land in the same second: same traceid, same timestamp.
        if (step > 0) t += rng.chance(0.03) ? 0 : 1 + Math.floor(rng.next() ** 2 * 90);
        tsOf[ord] = Math.min(t, end);
        sessionOf[ord] = session;
        stepOf[ord] = step;
        levelOf[ord] = entryLevel(hashInts(daySeed, ord, STREAM_ENTRY));
      }
    }
    const example = exampleRef(sessionOf);
    if (example >= 0) {
      tsOf[example] = begin + EXAMPLE_SECOND_OF_DAY;
      levelOf[example] = EXAMPLE_LEVEL;
    }
    const isLate = (i: number): boolean =>
      i !== example &&
      options.lateFraction > 0 &&
      (sessionOf[i] ?? 0) >= 2 &&
      hashInts(daySeed, i, STREAM_LATE) / 4_294_967_296 < options.lateFraction;
    let lateCount = 0;
    for (let i = 0; i < n; i++) if (isLate(i)) lateCount += 1;
    const visible = new Float64Array(n - lateCount);
    const late = new Float64Array(lateCount);
    let v = 0;
    let l = 0;
    for (let i = 0; i < n; i++) {
      const key = (tsOf[i] ?? 0) * REF_SPACE + i;
      if (isLate(i)) late[l++] = key;
      else visible[v++] = key;
    }
    visible.sort();
    late.sort();
    const arrays = { sessionOf, stepOf, levelOf, launchOf: Uint32Array.from(launches) };
    return new DayIndex(day, daySeed, arrays, visible, late);
  }

  /** Changes whenever the day's visible entries do (add, releaseLate). */
  get version(): number {
    return this.#version;
  }

  /** The day's own seed: a stable base for anything derived per entry. */
  get seed(): number {
    return this.#daySeed;
  }

  /** Everything needed to rebuild the entry behind `key`. */
  source(key: number): EntrySource {
    const timestamp = keyTimestamp(key);
    const ref = key - timestamp * REF_SPACE;
    if (ref >= ADDED_BASE) {
      const n = ref - ADDED_BASE;
      const sessionSeed = hashInts(this.#daySeed, n, STREAM_ADDED_SESSION);
      return {
        sessionSeed,
        launch: timestamp - (sessionSeed % 600),
        entrySeed: hashInts(this.#daySeed, n, STREAM_ADDED_ENTRY),
        step: 0,
        timestamp,
      };
    }
    const session = this.#sessionOf[ref] ?? 0;
    if (ref === this.#exampleRef)
      return { sessionSeed: 0, launch: timestamp, entrySeed: 0, step: 0, timestamp, example: true };
    return {
      sessionSeed: hashInts(this.#daySeed, session, STREAM_SESSION),
      launch: this.#launchOf[session] ?? timestamp,
      entrySeed: hashInts(this.#daySeed, ref, STREAM_ENTRY),
      step: this.#stepOf[ref] ?? 0,
      timestamp,
    };
  }

  level(key: number): number {
    const ref = key - keyTimestamp(key) * REF_SPACE;
    return ref >= ADDED_BASE ? entryLevel(this.source(key).entrySeed) : (this.#levelOf[ref] ?? 0);
  }

  /** Visible entries with `begin <= timestamp <= end`. */
  count(begin: number, end: number): number {
    const [lo, hi] = this.#range(begin, end);
    return hi - lo;
  }

  /**
   * Keys of visible entries in [begin, end] that pass `match`, skipping `start` and returning at most
   * `limit`; `total` counts all matches. Newest first is timestamp descending, later refs first among
   * equals; oldest first is exactly the reverse.
   */
  page(
    begin: number,
    end: number,
    start: number,
    limit: number,
    match?: (key: number) => boolean,
    newestFirst = true,
  ): { total: number; keys: number[] } {
    const [lo, hi] = this.#range(begin, end);
    const keys: number[] = [];
    if (!match) {
      if (newestFirst)
        for (let i = hi - 1 - start; i >= lo && keys.length < limit; i--) keys.push(this.#visible[i] ?? 0);
      else for (let i = lo + start; i < hi && keys.length < limit; i++) keys.push(this.#visible[i] ?? 0);
      return { total: hi - lo, keys };
    }
    let total = 0;
    const step = newestFirst ? -1 : 1;
    for (let i = newestFirst ? hi - 1 : lo; i >= lo && i < hi; i += step) {
      const key = this.#visible[i] ?? 0;
      if (!match(key)) continue;
      if (total >= start && keys.length < limit) keys.push(key);
      total += 1;
    }
    return { total, keys };
  }

  /** Keys of visible entries in [begin, end] that pass `match`, ascending (oldest first). */
  matching(begin: number, end: number, match?: (key: number) => boolean): Float64Array {
    const [lo, hi] = this.#range(begin, end);
    if (!match) return this.#visible.slice(lo, hi);
    const keys: number[] = [];
    for (let i = lo; i < hi; i++) {
      const key = this.#visible[i] ?? 0;
      if (match(key)) keys.push(key);
    }
    return Float64Array.from(keys);
  }

  /** Makes held-back entries with `timestamp <= upTo` visible; returns how many. */
  releaseLate(upTo: number): number {
    const split = lowerBound(this.#late, firstKeyOfSecond(upTo + 1));
    if (split === 0) return 0;
    this.#visible = mergeSorted(this.#visible, this.#late.subarray(0, split));
    this.#late = this.#late.slice(split);
    this.#version = nextVersion++;
    return split;
  }

  /** Adds visible entries at `timestamps`; returns their keys, newest first. */
  add(timestamps: readonly number[]): number[] {
    if (this.#added + timestamps.length > REF_SPACE - ADDED_BASE)
      throw new RangeError('too many entries added to one day');
    const keys = new Float64Array(timestamps.length);
    timestamps.forEach((ts, i) => {
      keys[i] = ts * REF_SPACE + ADDED_BASE + this.#added + i;
    });
    this.#added += timestamps.length;
    keys.sort();
    this.#visible = mergeSorted(this.#visible, keys);
    if (keys.length > 0) this.#version = nextVersion++;
    return Array.from(keys).reverse();
  }

  /** A seeded stream for timestamps of added entries, so that adding is deterministic too. */
  addedRng(): Rng {
    return createRng(hashInts(this.#daySeed, this.#added, STREAM_ADDED));
  }

  #range(begin: number, end: number): [number, number] {
    if (end < begin) return [0, 0];
    return [lowerBound(this.#visible, firstKeyOfSecond(begin)), lowerBound(this.#visible, firstKeyOfSecond(end + 1))];
  }
}
