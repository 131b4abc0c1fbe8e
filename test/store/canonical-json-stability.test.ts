import { describe, expect, it } from 'vitest';
import { canonicalJson, entryFingerprint } from '../../src/store/fingerprint.js';

/** canonicalJson as first written: databases hold fingerprints of this text, byte for byte. */
function firstCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => firstCanonicalJson(v === undefined ? null : v)).join(',')}]`;
  const parts: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${firstCanonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

/** A seeded generator of JSON-like values: unsorted and numeric keys, unicode, nesting, undefined. */
function randomValue(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 6 : 9));
  const keys = ['b', 'a', 'msg', 'time', '10', '9', '键', 'Z', 'é', '"q"', ''];
  switch (pick) {
    case 0:
      return null;
    case 1:
      return next() < 0.5;
    case 2:
      return Math.floor(next() * 1e6) / (next() < 0.5 ? 1 : 7);
    case 3:
      return ['请求失败', 'a"b\\c', '\u2028', 'x'.repeat(Math.floor(next() * 5))][Math.floor(next() * 4)];
    case 4:
      return undefined;
    case 5:
      return -0;
    case 6:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let n = Math.floor(next() * 5); n > 0; n -= 1)
        o[keys[Math.floor(next() * keys.length)] as string] = randomValue(next, depth + 1);
      return o;
    }
  }
}

describe('canonicalJson', () => {
  it('gives the same text as its first version for any JSON-like value', () => {
    let seed = 12345;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 5000; i += 1) {
      const value = randomValue(next, 0);
      expect(canonicalJson(value)).toBe(firstCanonicalJson(value));
    }
    // eslint-disable-next-line no-sparse-arrays
    expect(canonicalJson([1, , 3])).toBe(firstCanonicalJson([1, , 3]));
  });

  it('keeps the fingerprint of a documented entry', () => {
    const entry = {
      level: 2,
      platform: 1,
      libraryVersion: '3.4.1',
      clientVersion: '8.0.50',
      id: 'oAbC-123',
      timestamp: 1795622400,
      msg: [
        {
          time: 1795622399,
          level: 2,
          msg: ['请求失败', { code: 500, path: '/api/order', z: null, a: [1, 2.5, true] }],
        },
      ],
      url: 'pages/index/index',
      traceid: 't-1',
      filterMsg: 'order',
    };
    // Computed with the first version of canonicalJson.
    expect(entryFingerprint(entry).toString('hex')).toBe('e4330738bf4c3640488975c95b0bdf92');
  });
});
