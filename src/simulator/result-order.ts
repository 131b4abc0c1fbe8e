import { hashInts } from './prng.js';

/**
 * The order in which `userlog_search` lists a window's entries. WeChat does not document it, so the
 * simulator can play each plausible one: newest first (what the console shows), oldest first, or an order
 * unrelated to time that is nevertheless stable from one call to the next (as a hash-partitioned backend
 * without ORDER BY would give).
 */
export type ResultOrder = 'newest' | 'oldest' | 'shuffled';

export const RESULT_ORDERS: readonly ResultOrder[] = ['newest', 'oldest', 'shuffled'];

const STREAM_SHUFFLE = 0x5f1e;
// Keys are `timestamp * REF_SPACE + ref` (day-index.ts); the window position `i` below is < 2^22 too.
const REF_SPACE = 2 ** 22;

/**
 * `keys` (ascending) in the shuffled order: by a seeded hash of each key's timestamp and ref, ties broken
 * by key. The relative order of two keys depends on nothing but the keys, so a window and any window
 * inside it agree, and a key added later takes a place of its own without reordering the others.
 */
export function shuffleKeys(keys: Float64Array, seed: number): Float64Array {
  // 31 bits of hash above 22 bits of position is still an exact integer (< 2^53): one plain numeric sort.
  const ranks = new Float64Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] ?? 0;
    const timestamp = Math.floor(key / REF_SPACE);
    ranks[i] = (hashInts(seed, timestamp, key - timestamp * REF_SPACE, STREAM_SHUFFLE) >>> 1) * REF_SPACE + i;
  }
  ranks.sort();
  const out = new Float64Array(keys.length);
  for (let i = 0; i < ranks.length; i++) out[i] = keys[(ranks[i] ?? 0) % REF_SPACE] ?? 0;
  return out;
}

/**
 * The shuffled key arrays of the last few windows asked for. A client pages one window many times, and
 * sorting 150 000 keys for every page would cost more than serving it; callers put everything the
 * array depends on (day, bounds, filters, the day's data version) into the cache key, so a change to the
 * data is a miss, never a stale hit.
 */
export class ShuffledWindows {
  readonly #capacity: number;
  // Map iteration order is insertion order: the first entry is the least recently used.
  readonly #windows = new Map<string, Float64Array>();

  constructor(capacity = 8) {
    this.#capacity = capacity;
  }

  keys(cacheKey: string, build: () => Float64Array): Float64Array {
    let keys = this.#windows.get(cacheKey);
    if (keys) {
      this.#windows.delete(cacheKey);
    } else {
      keys = build();
      if (this.#windows.size >= this.#capacity) {
        const oldest = this.#windows.keys().next();
        if (!oldest.done) this.#windows.delete(oldest.value);
      }
    }
    this.#windows.set(cacheKey, keys);
    return keys;
  }
}
