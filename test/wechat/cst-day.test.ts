import { afterEach, describe, expect, it } from 'vitest';
import {
  addCstDays,
  cstDayBounds,
  cstDayOf,
  dashedCstDay,
  formatCst,
  isCstDay,
  recentCstDays,
} from '../../src/wechat/cst-day.js';

// 2026-11-22 00:00:00 CST is 2026-11-21 16:00:00 UTC.
const MIDNIGHT = Date.UTC(2026, 10, 21, 16) / 1000;

const originalTz = process.env.TZ;
afterEach(() => {
  if (originalTz === undefined) delete process.env.TZ;
  else process.env.TZ = originalTz;
});

// Far from China on both sides, one with daylight saving on 2026-11-01 and one with a half-hour offset:
// the host's zone must change nothing.
describe.each(['America/Los_Angeles', 'Asia/Kolkata'])('under TZ=%s', (tz) => {
  it('the host zone is really in effect', () => {
    process.env.TZ = tz;
    const offset = new Date(MIDNIGHT * 1000).getTimezoneOffset();
    expect(offset).toBe(tz === 'Asia/Kolkata' ? -330 : 480);
  });

  it('cstDayOf changes day exactly at CST midnight', () => {
    process.env.TZ = tz;
    expect(cstDayOf(MIDNIGHT - 1)).toBe('20261121');
    expect(cstDayOf(MIDNIGHT)).toBe('20261122');
    expect(cstDayOf(MIDNIGHT + 86_399)).toBe('20261122');
    expect(cstDayOf(MIDNIGHT + 86_400)).toBe('20261123');
    // Fractions of a second belong to the second they are in.
    expect(cstDayOf(MIDNIGHT - 0.5)).toBe('20261121');
  });

  it('cstDayBounds spans 00:00:00 to 23:59:59 CST', () => {
    process.env.TZ = tz;
    expect(cstDayBounds('20261122')).toEqual({ begin: MIDNIGHT, end: MIDNIGHT + 86_399 });
    expect(formatCst(MIDNIGHT)).toBe('2026-11-22 00:00:00');
    expect(formatCst(MIDNIGHT - 1)).toBe('2026-11-21 23:59:59');
  });

  it('recentCstDays ends on the day of now, oldest first', () => {
    process.env.TZ = tz;
    expect(recentCstDays(MIDNIGHT, 3)).toEqual(['20261120', '20261121', '20261122']);
    expect(recentCstDays(MIDNIGHT - 1, 3)).toEqual(['20261119', '20261120', '20261121']);
  });
});

describe('addCstDays', () => {
  it.each([
    ['20261130', 1, '20261201'], // month end
    ['20261231', 1, '20270101'], // year end
    ['20270101', -1, '20261231'],
    ['20280228', 1, '20280229'], // leap year
    ['20270228', 1, '20270301'],
    ['20261122', 0, '20261122'],
    ['20261122', -7, '20261115'],
    ['20261101', 31, '20261202'],
  ])('%s %i → %s', (day, delta, expected) => {
    expect(addCstDays(day, delta)).toBe(expected);
  });
});

describe('isCstDay', () => {
  it.each(['20261122', '20280229', '20261231', '19700101'])('accepts %s', (day) => {
    expect(isCstDay(day)).toBe(true);
  });

  it.each([
    '20261131',
    '20270229',
    '20261301',
    '20261100',
    '20261322',
    '2026-11-22',
    '2026112',
    '202611220',
    '',
    'abcdefgh',
  ])('rejects %j', (day) => {
    expect(isCstDay(day)).toBe(false);
  });

  it('cstDayBounds refuses what isCstDay rejects', () => {
    expect(() => cstDayBounds('20261131')).toThrow(RangeError);
  });
});

describe('dashedCstDay', () => {
  it('writes a CST day as YYYY-MM-DD', () => {
    expect(dashedCstDay('20261122')).toBe('2026-11-22');
    expect(dashedCstDay('20270101')).toBe('2027-01-01');
  });
});
