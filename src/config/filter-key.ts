import type { SearchFilters } from '../wechat/types.js';

/**
 * The name of the coverage ledger that an export with these filters keeps: `''` for an unfiltered
 * export, else the set filters as JSON with sorted keys, e.g. `{"level":4,"url":"pages/index/index"}`.
 * The same filters always give the same key, whatever order they were written in.
 */
export function filterKey(filters: SearchFilters): string {
  const entries = Object.entries(filters)
    // An empty filter filters nothing, so it must not open a ledger of its own.
    .filter(([, value]) => value !== undefined && value !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? '' : JSON.stringify(Object.fromEntries(entries));
}
