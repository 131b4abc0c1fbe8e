import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every depth: the same entry gives the same text whatever order the
 * server happened to write its fields in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const keys = Object.keys(value).sort();
  const parts: string[] = [];
  for (const key of keys) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * The content fingerprint of a log entry: 16 bytes of SHA-256 over its canonical JSON. Entries have no id,
 * so this (with appid and timestamp) is what tells two entries apart and a re-read entry from a new one.
 */
export function entryFingerprint(entry: unknown): Buffer {
  return createHash('sha256').update(canonicalJson(entry)).digest().subarray(0, 16);
}
