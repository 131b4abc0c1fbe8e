import { cstDayBounds } from '../wechat/cst-day.js';
import type { StoreQuery } from './log-store.js';

export interface SearchLimits {
  /** The CST days served, oldest first. */
  retentionDays: readonly string[];
  maxPageSize: number;
  pageSizeCapMode: 'truncate' | 'reject';
  maxOffset: number;
  offsetCapMode: 'empty' | 'reject';
}

export type ParsedSearch =
  | {
      ok: true;
      query: StoreQuery;
      /** `start` is past what the server serves: answer an empty list. */ beyondOffset: boolean;
    }
  | { ok: false; /** The whole errmsg of the 200002 answer. */ errmsg: string };

const INTEGER = /^-?\d+$/;

function integer(params: URLSearchParams, name: string): number | undefined | 'invalid' {
  const raw = params.get(name);
  if (raw === null) return undefined;
  if (!INTEGER.test(raw)) return 'invalid';
  const value = Number(raw);
  return Number.isSafeInteger(value) ? value : 'invalid';
}

// An empty filter is what a client sends for "no filter" when it builds the query naively.
function filter(params: URLSearchParams, name: string): string | undefined {
  const raw = params.get(name);
  return raw === null || raw === '' ? undefined : raw;
}

/** Validates `userlog_search`'s query as the document describes it (every failure is errcode 200002). */
export function parseSearchQuery(params: URLSearchParams, limits: SearchLimits): ParsedSearch {
  const parsed = parse(params, limits);
  return typeof parsed === 'string' ? { ok: false, errmsg: `参数错误: ${parsed}` } : parsed;
}

/** The query, or why it is refused (a date not served has WeChat's own wording, so it is the whole errmsg). */
function parse(params: URLSearchParams, limits: SearchLimits): ParsedSearch | string {
  const date = params.get('date') ?? '';
  if (!/^\d{8}$/.test(date)) return 'date must be YYYYMMDD';
  if (!limits.retentionDays.includes(date)) {
    return { ok: false, errmsg: `参数错误,date只能是最近${limits.retentionDays.length}天的日期` };
  }
  const { begin, end } = cstDayBounds(date);
  const begintime = integer(params, 'begintime');
  const endtime = integer(params, 'endtime');
  if (begintime === undefined || endtime === undefined) return 'begintime and endtime are required';
  if (begintime === 'invalid' || endtime === 'invalid') return 'begintime and endtime must be integers';
  if (begintime < begin || begintime > end || endtime < begin || endtime > end) {
    return 'begintime and endtime must lie inside date';
  }
  if (endtime <= begintime) return 'endtime must be greater than begintime';
  const start = integer(params, 'start') ?? 0;
  let limit = integer(params, 'limit') ?? 20;
  if (start === 'invalid' || start < 0) return 'start must be a non-negative integer';
  if (limit === 'invalid' || limit < 1) return 'limit must be a positive integer';
  if (limit > limits.maxPageSize) {
    if (limits.pageSizeCapMode === 'reject') return 'limit is too large';
    limit = limits.maxPageSize;
  }
  const beyondOffset = start >= limits.maxOffset;
  if (beyondOffset && limits.offsetCapMode === 'reject') return 'start is too large';
  const level = params.get('level') === '' ? undefined : integer(params, 'level');
  if (level === 'invalid' || (level !== undefined && level < 0)) {
    return 'level must be a non-negative integer (2 info, 4 warn, 8 error)';
  }
  return {
    ok: true,
    beyondOffset,
    query: {
      date,
      begintime,
      endtime,
      start,
      limit,
      level,
      url: filter(params, 'url'),
      openid: filter(params, 'id'),
      traceId: filter(params, 'traceId'),
      filterMsg: filter(params, 'filterMsg'),
    },
  };
}
