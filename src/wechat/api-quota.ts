import * as z from 'zod';

/**
 * getApiQuota's answer (`POST /cgi-bin/openapi/quota/get`): an API's daily call quota and its rate
 * limits for one app, the only way to learn the app's real limits (docs/real-api.md).
 */

/** How many calls an API allows per period. */
export interface RateLimit {
  /** Calls allowed in each period. */
  callCount: number;
  /** Length of the period, in seconds. */
  refreshSecond: number;
}

/** An app's quota of one API, as WeChat reports it for the current day. */
export interface ApiQuota {
  /** Calls the app may make today. */
  dailyLimit: number;
  /** Calls made today. */
  used: number;
  /** Calls left today. */
  remain: number;
  /** The app's own rate limit; null when WeChat does not report one (older answers have none). */
  rateLimit: RateLimit | null;
  /** The limit on calls a third-party platform makes for the app; null when not reported. */
  componentRateLimit: RateLimit | null;
}

// The document says `number`; as with the search answer (docs/real-api.md, shape drift), a count may come as
// a string of decimal digits, which is the same count.
const count = z
  .union([z.number(), z.string().trim().regex(/^\d+$/, 'expected a count in decimal digits').transform(Number)])
  .pipe(z.number().int().nonnegative());

const rateLimitSchema = z.looseObject({ call_count: count, refresh_second: count });

/** getApiQuota's answer: `quota` is required, either rate limit may be absent or null. Unknown fields are kept. */
export const apiQuotaAnswerSchema = z.looseObject({
  quota: z.looseObject({ daily_limit: count, used: count, remain: count }),
  rate_limit: rateLimitSchema.nullish(),
  component_rate_limit: rateLimitSchema.nullish(),
});

/** The typed quota of a validated answer. */
export function toApiQuota(answer: z.infer<typeof apiQuotaAnswerSchema>): ApiQuota {
  const rate = (limit: z.infer<typeof rateLimitSchema> | null | undefined): RateLimit | null =>
    limit ? { callCount: limit.call_count, refreshSecond: limit.refresh_second } : null;
  return {
    dailyLimit: answer.quota.daily_limit,
    used: answer.quota.used,
    remain: answer.quota.remain,
    rateLimit: rate(answer.rate_limit),
    componentRateLimit: rate(answer.component_rate_limit),
  };
}
