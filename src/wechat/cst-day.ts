/**
 * China Standard Time calendar days, computed without the host's time zone.
 *
 * WeChat's `date` parameter (YYYYMMDD) names a CST day (UTC+8, no daylight saving). Everything here
 * works on unix seconds and fixed offsets, so `TZ` on the host or in the container changes nothing.
 */

/** Offset of China Standard Time from UTC, in seconds. CST has no daylight saving. */
export const CST_OFFSET_SECONDS = 8 * 3600;
export const SECONDS_PER_DAY = 86_400;

/** A CST day as WeChat spells it: `YYYYMMDD`. */
export type CstDay = string;

const DAY_PATTERN = /^(\d{4})(\d{2})(\d{2})$/;

/** The CST day that contains the unix instant `unixSeconds`. */
export function cstDayOf(unixSeconds: number): CstDay {
  const shifted = new Date((Math.floor(unixSeconds) + CST_OFFSET_SECONDS) * 1000);
  const y = shifted.getUTCFullYear();
  const m = shifted.getUTCMonth() + 1;
  const d = shifted.getUTCDate();
  return `${String(y).padStart(4, '0')}${String(m).padStart(2, '0')}${String(d).padStart(2, '0')}`;
}

/** True when `day` is a real calendar day written as YYYYMMDD. */
export function isCstDay(day: string): boolean {
  const match = DAY_PATTERN.exec(day);
  if (!match) return false;
  const [, y, m, d] = match;
  const ms = Date.UTC(Number(y), Number(m) - 1, Number(d));
  return cstDayOf(ms / 1000 - CST_OFFSET_SECONDS) === day;
}

/**
 * First and last second of a CST day, both inclusive: `begin` is 00:00:00 CST and `end` is
 * 23:59:59 CST, the widest `begintime`/`endtime` pair WeChat accepts for that `date`.
 */
export function cstDayBounds(day: CstDay): { begin: number; end: number } {
  const match = DAY_PATTERN.exec(day);
  if (!match || !isCstDay(day)) throw new RangeError(`Expected a CST day as YYYYMMDD, got ${JSON.stringify(day)}`);
  const [, y, m, d] = match;
  const begin = Date.UTC(Number(y), Number(m) - 1, Number(d)) / 1000 - CST_OFFSET_SECONDS;
  return { begin, end: begin + SECONDS_PER_DAY - 1 };
}

/** The CST day `delta` days after `day` (negative goes back). */
export function addCstDays(day: CstDay, delta: number): CstDay {
  return cstDayOf(cstDayBounds(day).begin + delta * SECONDS_PER_DAY);
}

/**
 * The `count` CST days ending with the one containing `nowSeconds`, oldest first
 * (today and the `count - 1` days before it).
 */
export function recentCstDays(nowSeconds: number, count: number): CstDay[] {
  const today = cstDayOf(nowSeconds);
  const days: CstDay[] = [];
  for (let i = count - 1; i >= 0; i--) days.push(addCstDays(today, -i));
  return days;
}

/** `YYYY-MM-DD HH:MM:SS` in CST, for people reading logs and summaries. */
export function formatCst(unixSeconds: number): string {
  const iso = new Date((Math.floor(unixSeconds) + CST_OFFSET_SECONDS) * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

/** `YYYY-MM-DD` for a CST day (`YYYYMMDD`), for people reading summaries and warnings. */
export function dashedCstDay(day: CstDay): string {
  return `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}`;
}
