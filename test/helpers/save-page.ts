import type { PagePlace, Store } from '../../src/store/store.js';
import { readServedEntry } from '../../src/wechat/served-entry.js';

/** `store.savePage` for entries written as the API serves them (each read the way the client reads it). */
export function savePage(
  store: Store,
  appid: string,
  filterKey: string,
  entries: readonly unknown[],
  seenAt: number,
  place?: PagePlace,
) {
  return store.savePage(appid, filterKey, entries.map(readServedEntry), seenAt, place);
}
