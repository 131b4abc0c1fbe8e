import { cstDayBounds, isCstDay } from '../wechat/cst-day.js';
import { UsageError } from './command.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * The instant `--since` names, in unix seconds: a duration back from `nowSeconds` (`30m`, `2h`, `3d`,
 * `1w`, `45s`) or a CST day (`2026-11-22` or `20261122`, from its 00:00 CST).
 */
export function parseSince(value: string, nowSeconds: number): number {
  const duration = /^(\d+)\s*([smhdw])$/.exec(value.trim());
  if (duration) {
    const [, amount = '0', unit = 's'] = duration;
    return nowSeconds - Number(amount) * (UNIT_SECONDS[unit] ?? 1);
  }
  const day = value.trim().replace(/^(\d{4})-(\d{2})-(\d{2})$/, '$1$2$3');
  if (isCstDay(day)) return cstDayBounds(day).begin;
  throw new UsageError(
    `--since: expected a duration like 30m, 2h, 3d, 1w or a CST date like 2026-11-22, got ${JSON.stringify(value)}`,
  );
}
