import { describe, expect, it } from 'vitest';
import { redactSecrets, sanitizeError } from '../../src/wechat/redact.js';

describe('redactSecrets', () => {
  it('masks known secrets, also URL-encoded', () => {
    const secret = 's3cr/et+value';
    const text = `failed with ${secret} and ${encodeURIComponent(secret)}`;
    const out = redactSecrets(text, [secret, undefined, '']);
    expect(out).not.toContain(secret);
    expect(out).not.toContain(encodeURIComponent(secret));
    expect(out).toBe('failed with *** and ***');
  });

  it('masks access_token and secret values in any URL text, known or not', () => {
    const url = 'GET /wxaapi/userlog/userlog_search?access_token=ABC.def-123_x&date=20261122 and /cgi-bin/token?grant_type=client_credential&appid=wx1&secret=f00ba5';
    const out = redactSecrets(url);
    expect(out).toBe(
      'GET /wxaapi/userlog/userlog_search?access_token=***&date=20261122 and /cgi-bin/token?grant_type=client_credential&appid=wx1&secret=***',
    );
  });

  it('masks access_token and secret fields of JSON text', () => {
    const out = redactSecrets('{"access_token": "tok\\"en", "expires_in":7200,"secret":"abc"}');
    expect(out).toBe('{"access_token": "***", "expires_in":7200,"secret":"***"}');
  });

  it('masks a longer secret whole when it contains a shorter one', () => {
    expect(redactSecrets('xx-abcdef-xx', ['abc', 'abcdef'])).toBe('xx-***-xx');
  });
});

describe('sanitizeError', () => {
  it('copies name, message, code, stack and the cause chain with secrets masked', () => {
    const inner = Object.assign(new Error('connect failed for access_token=TOKEN123'), { code: 'ECONNRESET' });
    const outer = new TypeError('request to ?access_token=TOKEN123 failed', { cause: inner });
    const copy = sanitizeError(outer, ['TOKEN123']);
    expect(copy).not.toBe(outer);
    expect(copy.name).toBe('TypeError');
    expect(copy.message).toBe('request to ?access_token=*** failed');
    expect(copy.stack).not.toContain('TOKEN123');
    const cause = copy.cause as Error & { code?: string };
    expect(cause.message).toBe('connect failed for access_token=***');
    expect(cause.code).toBe('ECONNRESET');
    expect(JSON.stringify(copy, Object.getOwnPropertyNames(copy))).not.toContain('TOKEN123');
  });

  it('turns a thrown non-error into a redacted error', () => {
    expect(sanitizeError('oops SECRET', ['SECRET']).message).toBe('oops ***');
  });
});
