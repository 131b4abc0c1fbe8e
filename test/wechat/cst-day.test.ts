import { describe, expect, it } from 'vitest';
import { dashedCstDay } from '../../src/wechat/cst-day.js';

describe('dashedCstDay', () => {
  it('writes a CST day as YYYY-MM-DD', () => {
    expect(dashedCstDay('20261122')).toBe('2026-11-22');
    expect(dashedCstDay('20270101')).toBe('2027-01-01');
  });
});
