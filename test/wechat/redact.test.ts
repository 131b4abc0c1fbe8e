// Secrets never leave wxlog: first redact.ts's own masking (redactSecrets, sanitizeError), then the same
// promise end to end, through the WeChat client, its retries and the logger, against the simulator.
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../src/log/logger.js';
import type { FaultKind, Simulator } from '../../src/simulator/simulator.js';
import { WechatError } from '../../src/wechat/errors.js';
import { client, outcomes, rejection, simulator, toldOf, wholeDay } from './simulator-fixture.js';
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
    const url =
      'GET /wxaapi/userlog/userlog_search?access_token=ABC.def-123_x&date=20261122 and /cgi-bin/token?grant_type=client_credential&appid=wx1&secret=f00ba5';
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

const SECRET = 'sEcReT-0123456789abcdef0123456789';

/** A debug-level logger that keeps every line and masks nothing itself (no `redact` option). */
function capturingLogger(): { logger: Logger; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', stream, pretty: false }), text: () => chunks.join('') };
}

/** Every text an error can show: message, String(), stack and the whole cause chain with all own properties. */
function everyText(e: unknown): string {
  const parts: string[] = [inspect(e, { depth: 20, showHidden: true })];
  let current: unknown = e;
  for (let depth = 0; current !== undefined && depth < 20; depth++) {
    if (!(current instanceof Error)) {
      parts.push(typeof current === 'string' ? current : (JSON.stringify(current) ?? ''));
      break;
    }
    parts.push(String(current), current.message, current.stack ?? '');
    parts.push(JSON.stringify(current, Object.getOwnPropertyNames(current)));
    current = current.cause;
  }
  return parts.join('\n');
}

/** The stable token the simulator will hand the client too (stable_token answers the same one while valid). */
async function currentStableToken(sim: Simulator): Promise<string> {
  const { body } = await request(`${sim.url}/cgi-bin/stable_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credential',
      appid: sim.options.appid,
      secret: SECRET,
      force_refresh: false,
    }),
  });
  const answer = (await body.json()) as { access_token: string };
  return answer.access_token;
}

function expectClean(text: string, secrets: string[]): void {
  expect(text.length).toBeGreaterThan(0);
  for (const secret of secrets) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(encodeURIComponent(secret));
  }
}

describe('no token or secret in errors or logs', () => {
  it.each<FaultKind>(['reset', 'stall', 'html', 'http-502', 'bad-shape', 'truncated-json', 'errcode-1'])(
    'after %s faults, retries included',
    async (kind) => {
      const sim = await simulator({ secret: SECRET, faults: { rate: 1, kinds: [kind], stallMs: 5_000 } });
      const token = await currentStableToken(sim);
      const { logger, text } = capturingLogger();
      const c = client(sim, {
        logger,
        timeouts: { headersMs: 100, bodyMs: 100 },
        retryPolicy: { transient: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 } },
      });
      const e = await rejection(c.searchLogs(wholeDay()));
      expect(e).toBeInstanceOf(WechatError);
      expect(sim.stats.searchArrivals).toHaveLength(2);
      expectClean(everyText(e), [token, SECRET]);
      expect(text()).toMatch(/retrying/);
      expectClean(text(), [token, SECRET]);
    },
  );

  it('when a token is refused and refreshed', async () => {
    const sim = await simulator({ secret: SECRET, tokenMaxUses: 1 });
    const first = await currentStableToken(sim); // uses: 0, so the client gets this one and uses it once
    const { logger, text } = capturingLogger();
    const c = client(sim, { logger });
    await c.searchLogs(wholeDay());
    await c.searchLogs(wholeDay());
    expect(outcomes(c, 'search')).toEqual({ ok: 2, token: 1 });
    expect(text()).toMatch(/access token rejected/);
    expectClean(text(), [first, SECRET]);
    // Nor in the events the client told of.
    expectClean(JSON.stringify(toldOf(c)), [first, SECRET]);
  });

  it('when a supplied static token is refused', async () => {
    const sim = await simulator({ secret: SECRET });
    const token = 'STATIC-TOKEN-abcdefghijklmnopqrstuvwxyz';
    const { logger, text } = capturingLogger();
    const c = client(sim, { logger, tokenMode: 'static', secret: undefined, accessToken: token });
    const e = await rejection(c.getSceneList());
    expect(e).toMatchObject({ kind: 'fatal' });
    expectClean(everyText(e) + text(), [token]);
  });

  it('when the credentials are refused, in both token modes', async () => {
    const sim = await simulator({ secret: SECRET });
    const wrong = 'wRoNg-secret-value-9876543210';
    for (const tokenMode of ['stable', 'classic'] as const) {
      const { logger, text } = capturingLogger();
      const c = client(sim, { logger, tokenMode, secret: wrong });
      const e = await rejection(c.searchLogs(wholeDay()));
      expect(e).toMatchObject({ kind: 'fatal', errcode: 40125 });
      expectClean(everyText(e) + text(), [wrong]);
    }
  });

  it('when the server cannot be reached with the secret in the URL (classic)', async () => {
    const sim = await simulator({ secret: SECRET });
    await sim.close();
    const { logger, text } = capturingLogger();
    const c = client(sim, {
      logger,
      tokenMode: 'classic',
      retryPolicy: { transient: { retries: 1, baseDelayMs: 1, maxDelayMs: 1 } },
    });
    const e = await rejection(c.getSceneList());
    expect(e).toMatchObject({ kind: 'transient', api: 'token' });
    expect((e as Error).cause).toBeInstanceOf(Error);
    expectClean(everyText(e) + text(), [SECRET]);
  });
});
