import { describe, expect, it } from 'vitest';
import { filterKey } from '../../src/config/filter-key.js';

describe('filterKey', () => {
  it('is empty for an unfiltered export', () => {
    expect(filterKey({})).toBe('');
    expect(filterKey({ level: undefined, url: undefined })).toBe('');
  });

  it('treats an empty filter as no filter', () => {
    expect(filterKey({ url: '', traceId: '' })).toBe('');
    expect(filterKey({ url: '', level: 4 })).toBe(filterKey({ level: 4 }));
  });

  it('is canonical JSON with sorted keys', () => {
    const key = filterKey({ url: 'pages/index/index', level: 4, filterMsg: '支付' });
    expect(key).toBe('{"filterMsg":"支付","level":4,"url":"pages/index/index"}');
    expect(JSON.parse(key)).toEqual({ filterMsg: '支付', level: 4, url: 'pages/index/index' });
  });

  it('does not depend on the order the filters were written in', () => {
    expect(filterKey({ openid: 'o1', traceId: 't1', level: 8 })).toBe(
      filterKey({ level: 8, traceId: 't1', openid: 'o1' }),
    );
  });

  it('tells different filters apart', () => {
    const keys = [
      filterKey({}),
      filterKey({ level: 2 }),
      filterKey({ level: 4 }),
      filterKey({ url: 'a' }),
      filterKey({ openid: 'a' }),
      filterKey({ url: 'a', level: 4 }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});
