/**
 * Keeping secrets out of text: the one implementation, for the client's errors and for every log line
 * and crash report. The access token travels in the URL and the AppSecret in token requests, so
 * anything that may echo a request (errors from undici, server messages, logs) passes through here first.
 */

import { describeThrown } from '../errors/coerce-error.js';

const MASK = '***';

// `access_token=…` or `secret=…` in a URL or query string, and the same keys as JSON fields: masked
// even when the value is not one we know (a token from another process, an old token).
const QUERY_SECRET = /\b((?:access_token|authorizer_access_token|secret|appsecret)=)[^&\s"'#<>]+/gi;
const JSON_SECRET = /("(?:access_token|authorizer_access_token|secret|appsecret)"\s*:\s*")((?:[^"\\]|\\.)*)"/gi;

/**
 * A function that masks, in any text, every occurrence of each secret (also URL-encoded) and every
 * `access_token=…` / `secret=…` value as `***`. The secrets are prepared once: a logger masks every line.
 */
export function secretRedactor(secrets: Iterable<string | undefined> = []): (text: string) => string {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    needles.add(secret);
    needles.add(encodeURIComponent(secret));
  }
  // Longest first, so a secret that contains another is masked whole.
  const ordered = [...needles].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const needle of ordered) out = out.split(needle).join(MASK);
    return out.replace(QUERY_SECRET, `$1${MASK}`).replace(JSON_SECRET, `$1${MASK}"`);
  };
}

/**
 * `text` with every occurrence of each secret (also URL-encoded) and every `access_token=…` /
 * `secret=…` value masked as `***`.
 */
export function redactSecrets(text: string, secrets: Iterable<string | undefined> = []): string {
  return secretRedactor(secrets)(text);
}

/**
 * A copy of `e` that is safe to keep as a `cause`: name, message, `code` and stack redacted, and
 * its own cause chain sanitized the same way. The original (which may hold request options with
 * the URL) is not referenced.
 */
export function sanitizeError(e: unknown, secrets: Iterable<string | undefined> = [], depth = 0): Error {
  const list = [...secrets];
  if (!(e instanceof Error)) return new Error(redactSecrets(describeThrown(e), list));
  const copy = new Error(redactSecrets(e.message, list));
  copy.name = redactSecrets(e.name, list);
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') {
    (copy as { code?: string | number }).code = typeof code === 'string' ? redactSecrets(code, list) : code;
  }
  copy.stack = e.stack === undefined ? undefined : redactSecrets(e.stack, list);
  if (e.cause !== undefined && depth < 8) copy.cause = sanitizeError(e.cause, list, depth + 1);
  return copy;
}
