import { describe, expect, it } from 'vitest';
import { coerceError, describeThrown } from '../../src/errors/coerce-error.js';

describe('coerceError', () => {
  it('keeps errors and wraps anything else', () => {
    const original = new TypeError('x');
    expect(coerceError(original)).toBe(original);
    expect(coerceError('boom').message).toBe('boom');
    expect(coerceError({ a: 1 }).message).toContain('{"a":1}');
    expect(coerceError(undefined)).toBeInstanceOf(Error);
  });
});

describe('describeThrown', () => {
  it('gives a string as it is and anything else as JSON where it can', () => {
    expect(describeThrown('boom')).toBe('boom');
    expect(describeThrown({ a: 1 })).toBe('{"a":1}');
    expect(describeThrown(undefined)).toBe('undefined');
    expect(describeThrown(10n)).toBe('10');
  });
});
