import { afterAll, describe, expect, it } from 'vitest';
import { cstDayBounds, cstDayOf } from '../../src/wechat/cst-day.js';
import { buildSearchQuery, validateSearchParams } from '../../src/wechat/search-query.js';
import type { SearchParams } from '../../src/wechat/types.js';

// Expected values come from ISO strings with an explicit +08:00 offset, independent of cst-day.ts.
const cst = (iso: string): number => Date.parse(`${iso}+08:00`) / 1000;

const originalTz = process.env.TZ;
afterAll(() => {
  if (originalTz === undefined) delete process.env.TZ;
  else process.env.TZ = originalTz;
});

describe.each(['UTC', 'America/Los_Angeles', 'Asia/Shanghai'])('under TZ=%s', (tz) => {
  it('the host time zone is really in effect (so the checks below could fail)', () => {
    process.env.TZ = tz;
    const offset = new Date(Date.UTC(2026, 10, 21, 16)).getTimezoneOffset();
    expect(offset).toBe({ UTC: 0, 'America/Los_Angeles': 480, 'Asia/Shanghai': -480 }[tz]);
  });

  it.each([
    ['2026-11-21T15:59:59Z', '20261121', '2026-11-21'],
    ['2026-11-21T16:00:00Z', '20261122', '2026-11-22'],
    ['2026-12-31T16:00:00Z', '20270101', '2027-01-01'],
    ['2026-03-08T10:30:00Z', '20260308', '2026-03-08'], // a US DST switch day
  ])('builds the query for the CST day of %s', (instant, day, isoDay) => {
    process.env.TZ = tz;
    const now = Date.parse(instant) / 1000;
    const date = cstDayOf(now);
    expect(date).toBe(day);
    const { begin, end } = cstDayBounds(date);
    expect(begin).toBe(cst(`${isoDay}T00:00:00`));
    expect(end).toBe(cst(`${isoDay}T23:59:59`));
    const query = buildSearchQuery({ date, begintime: begin, endtime: end, start: 0, limit: 100 }, 'TOKEN');
    expect(query.toString()).toBe(
      `access_token=TOKEN&date=${day}&begintime=${cst(`${isoDay}T00:00:00`)}&endtime=${cst(`${isoDay}T23:59:59`)}&start=0&limit=100`,
    );
  });
});

describe('buildSearchQuery', () => {
  const base: SearchParams = {
    date: '20261122',
    begintime: cst('2026-11-22T08:00:00'),
    endtime: cst('2026-11-22T09:00:00'),
    start: 200,
    limit: 50,
  };

  it('sends the filters that are set under the API names, in order, and omits the rest', () => {
    const query = buildSearchQuery(
      {
        ...base,
        filters: { level: 4, filterMsg: '支付 失败', url: 'pages/index/index', openid: 'oXu0-x_y', traceId: 't&1' },
      },
      'tok/+=',
    );
    expect([...query.keys()]).toEqual([
      'access_token',
      'date',
      'begintime',
      'endtime',
      'start',
      'limit',
      'traceId',
      'url',
      'id',
      'filterMsg',
      'level',
    ]);
    expect(Object.fromEntries(query)).toMatchObject({
      access_token: 'tok/+=',
      start: '200',
      limit: '50',
      traceId: 't&1',
      url: 'pages/index/index',
      id: 'oXu0-x_y',
      filterMsg: '支付 失败',
      level: '4',
    });
    // Encoded, so that reserved characters do not split the query.
    expect(query.toString()).toContain('traceId=t%261');
  });

  it('omits filters that are undefined or empty', () => {
    const query = buildSearchQuery({ ...base, filters: { level: undefined, url: '', openid: undefined } }, 'T');
    expect([...query.keys()]).toEqual(['access_token', 'date', 'begintime', 'endtime', 'start', 'limit']);
  });
});

describe('validateSearchParams', () => {
  const day = '20261122';
  const { begin, end } = { begin: cst('2026-11-22T00:00:00'), end: cst('2026-11-22T23:59:59') };
  const ok: SearchParams = { date: day, begintime: begin, endtime: end, start: 0, limit: 1 };

  it('accepts the whole CST day', () => {
    expect(() => validateSearchParams(ok)).not.toThrow();
  });

  it.each<[string, Partial<SearchParams>, RegExp]>([
    ['a date that is not YYYYMMDD', { date: '2026-11-22' }, /date/],
    ['a date that does not exist', { date: '20260230' }, /date/],
    ['begintime one second before the CST day', { begintime: begin - 1 }, /begintime/],
    ['endtime one second after the CST day', { endtime: end + 1 }, /endtime/],
    ['a fractional begintime', { begintime: begin + 0.5 }, /begintime/],
    ['endtime equal to begintime', { endtime: begin }, /endtime > begintime/],
    ['endtime before begintime', { begintime: begin + 10, endtime: begin + 5 }, /endtime > begintime/],
    ['a negative start', { start: -1 }, /start/],
    ['limit 0', { limit: 0 }, /limit/],
    ['a fractional limit', { limit: 2.5 }, /limit/],
    ['a fractional level', { filters: { level: 2.5 } }, /level/],
  ])('rejects %s with a RangeError', (_name, patch, message) => {
    const params = { ...ok, ...patch };
    expect(() => validateSearchParams(params)).toThrow(RangeError);
    expect(() => validateSearchParams(params)).toThrow(message);
    expect(() => buildSearchQuery(params, 'T')).toThrow(RangeError);
  });

  it('rejects a UTC-day window for the CST date (the mistake a host TZ would cause)', () => {
    const utcMidnight = Date.parse('2026-11-22T00:00:00Z') / 1000;
    expect(() => validateSearchParams({ ...ok, begintime: utcMidnight, endtime: utcMidnight + 86_399 })).toThrow(
      /endtime/,
    );
  });
});
