import { cstDayOf } from '../wechat/cst-day.js';
import { ERRORS, type WeChatError } from './wechat-errors.js';

/** The one API whose quota getApiQuota reports: the search the simulator serves. */
export const SEARCH_CGI_PATH = '/wxaapi/userlog/userlog_search';

/**
 * What getApiQuota reports as the daily limit when none is set: WeChat always reports a number, and a
 * large one that is never reached is what an app with no practical limit sees.
 */
export const UNLIMITED_REPORTED_LIMIT = 100_000;

/**
 * The daily call quota of `userlog_search`: every search answered with errcode 0 uses one, the count
 * starts again at CST midnight of the calendar clock, and the limit may be changed while running (a
 * plan change, or a limit that another service of the same app lowers by using it).
 */
export class ApiQuota {
  readonly #now: () => number;
  #limit: number;
  #day = '';
  #used = 0;

  /** `limit` may be Infinity (never refused); `now` is the calendar clock in unix ms. */
  constructor(limit: number, now: () => number) {
    this.#limit = limit;
    this.#now = now;
  }

  setLimit(limit: number): void {
    this.#limit = limit;
  }

  /** True when today's calls are used up: the next search answers 45009. */
  exhausted(): boolean {
    return this.#usedToday() >= this.#limit;
  }

  /** Counts one answered search. */
  record(): void {
    this.#used = this.#usedToday() + 1;
  }

  /** getApiQuota's `quota` object. */
  report(): { daily_limit: number; used: number; remain: number } {
    const used = this.#usedToday();
    const limit = Number.isFinite(this.#limit) ? this.#limit : UNLIMITED_REPORTED_LIMIT;
    return { daily_limit: limit, used, remain: Math.max(0, limit - used) };
  }

  #usedToday(): number {
    const day = cstDayOf(this.#now() / 1000);
    if (day !== this.#day) {
      this.#day = day;
      this.#used = 0;
    }
    return this.#used;
  }
}

/** The rate limits getApiQuota reports: the simulator's own sliding limit, in WeChat's units. */
export interface ReportedRate {
  callsPerMinute: number;
  intervalMs: number;
}

/**
 * getApiQuota's answer to a request body (after the token was checked): 47001 for a body that is not a
 * JSON object, 76021 for a cgi_path the simulator does not meter. Third-party calls share the app's
 * limiter here, so `component_rate_limit` reports the same numbers as `rate_limit`.
 */
export function quotaAnswer(body: string | undefined, quota: ApiQuota, rate: ReportedRate): object | WeChatError {
  let parsed: unknown;
  try {
    parsed = body === undefined ? undefined : JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return ERRORS.badBody;
  if ((parsed as Record<string, unknown>)['cgi_path'] !== SEARCH_CGI_PATH) return ERRORS.cgiPathNotFound;
  const limit = { call_count: rate.callsPerMinute, refresh_second: Math.ceil(rate.intervalMs / 1000) };
  return { errcode: 0, errmsg: 'ok', quota: quota.report(), rate_limit: limit, component_rate_limit: { ...limit } };
}
