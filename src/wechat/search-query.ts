import { cstDayBounds, isCstDay } from './cst-day.js';
import type { SearchParams } from './types.js';

/**
 * Throws a `RangeError` naming the first thing wrong with `params`: WeChat would answer 200002 to
 * it, and a request we know to be invalid should never spend a call of the rate budget.
 */
export function validateSearchParams(params: SearchParams): void {
  const { date, begintime, endtime, start, limit } = params;
  if (typeof date !== 'string' || !isCstDay(date)) {
    throw new RangeError(`Expected date to be a CST day as YYYYMMDD, got ${JSON.stringify(date)}`);
  }
  const { begin, end } = cstDayBounds(date);
  for (const [name, value] of [
    ['begintime', begintime],
    ['endtime', endtime],
  ] as const) {
    if (!Number.isInteger(value) || value < begin || value > end) {
      throw new RangeError(
        `Expected ${name} to be an integer unix time inside CST day ${date} [${begin}, ${end}], got ${String(value)}`,
      );
    }
  }
  if (endtime <= begintime) {
    throw new RangeError(`Expected endtime > begintime, got begintime ${begintime} and endtime ${endtime}`);
  }
  if (!Number.isInteger(start) || start < 0) {
    throw new RangeError(`Expected start to be an integer >= 0, got ${String(start)}`);
  }
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`Expected limit to be an integer >= 1, got ${String(limit)}`);
  }
  const level = params.filters?.level;
  if (level !== undefined && !Number.isInteger(level)) {
    throw new RangeError(`Expected filters.level to be an integer, got ${String(level)}`);
  }
}

/**
 * The query string of one userlog_search call, in the order established SDKs send it: the token,
 * the window, paging, then only the filters that are set (an empty string counts as not set).
 * Validates `params` first (see `validateSearchParams`).
 */
export function buildSearchQuery(params: SearchParams, accessToken: string): URLSearchParams {
  validateSearchParams(params);
  const query = new URLSearchParams();
  query.set('access_token', accessToken);
  query.set('date', params.date);
  query.set('begintime', String(params.begintime));
  query.set('endtime', String(params.endtime));
  query.set('start', String(params.start));
  query.set('limit', String(params.limit));
  const f = params.filters ?? {};
  const optional: [string, string | number | undefined][] = [
    ['traceId', f.traceId],
    ['url', f.url],
    ['id', f.openid],
    ['filterMsg', f.filterMsg],
    ['level', f.level],
  ];
  for (const [key, value] of optional) {
    if (value !== undefined && value !== '') query.set(key, String(value));
  }
  return query;
}
