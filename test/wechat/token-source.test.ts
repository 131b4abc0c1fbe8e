import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WechatError } from '../../src/wechat/errors.js';
import { HttpTransport } from '../../src/wechat/http-transport.js';
import { resolveRetryPolicy } from '../../src/wechat/retry-policy.js';
import type { TokenMode } from '../../src/wechat/token-mode.js';
import { TokenProvider, type TokenProviderOptions } from '../../src/wechat/token-provider.js';
import { WechatClient } from '../../src/wechat/wechat-client.js';
import type { Simulator } from '../../src/simulator/simulator.js';
import { startTokenService, type TokenService, type TokenServiceOptions } from '../helpers/token-service.js';
import { recordingLogger, type LoggedLine } from '../schedule/recording-logger.js';
import { client, outcomes, rejection, simulator, tokenEvents, wholeDay } from './simulator-fixture.js';

const APPID = 'wx1234567890abcdef';

const tokenError = new WechatError('userlog_search: access token rejected', {
  kind: 'token',
  api: 'search',
  errcode: 42001,
});

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wxlog-token-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function service(options: TokenServiceOptions = {}): Promise<TokenService> {
  const s = await startTokenService(options);
  cleanups.push(() => s.close());
  return s;
}

interface ProviderUnderTest {
  tokens: TokenProvider;
  lines: LoggedLine[];
  setNow: (ms: number) => void;
}

/** A provider on its own (its API transport unused), one attempt per fetch: these tests are about the provider. */
function provider(mode: TokenMode, options: Partial<TokenProviderOptions> = {}): ProviderUnderTest {
  const transport = new HttpTransport({
    apiBase: 'http://127.0.0.1:9',
    timeouts: { connectMs: 1000, headersMs: 1000, bodyMs: 1000 },
    secrets: () => [],
  });
  const lifetime = new AbortController();
  cleanups.push(async () => {
    lifetime.abort(new Error('test over'));
    await transport.close();
  });
  const { logger, lines } = recordingLogger();
  let now = 1_000_000;
  const tokens = new TokenProvider({
    mode,
    appid: APPID,
    transport,
    retryPolicy: resolveRetryPolicy({ token: { retries: 0 }, rate: { retries: 0 }, transient: { retries: 0 } }),
    now: () => now,
    logger,
    lifetime: lifetime.signal,
    ...options,
  });
  return { tokens, lines, setNow: (ms) => (now = ms) };
}

/** Fails the test if any token handed out shows up in an error message or a log line. */
function expectNoToken(tokens: readonly string[], texts: readonly unknown[]): void {
  const all = texts.map((t) => (t instanceof Error ? `${t.message} ${t.stack ?? ''}` : JSON.stringify(t))).join('\n');
  for (const token of tokens) expect(all).not.toContain(token);
}

describe('url mode: a central token service', () => {
  it('GETs the URL with {appid} replaced (URL-encoded) and caches the token', async () => {
    const s = await service();
    const odd = 'wx+1&x=2';
    const { tokens } = provider('url', { tokenUrl: s.tokenUrl, appid: odd });
    const first = await tokens.getToken();
    expect(first).toBe(s.last(odd));
    expect(await tokens.getToken()).toBe(first);
    expect(s.requests).toEqual(new Map([[odd, 1]]));
    expect(tokens.current).toBe(first);
  });

  it('renews a token shortly before its expires_in (the margin of every mode)', async () => {
    const s = await service();
    const { tokens, setNow } = provider('url', { tokenUrl: s.tokenUrl });
    await tokens.getToken();
    setNow(1_000_000 + 7_200_000 - 300_000 - 1);
    await tokens.getToken();
    expect(s.requests.get(APPID)).toBe(1);
    setNow(1_000_000 + 7_200_000 - 300_000 + 1);
    await tokens.getToken();
    expect(s.requests.get(APPID)).toBe(2);
  });

  it('keeps a token without expires_in until it is refused', async () => {
    const s = await service({ expiresIn: undefined });
    const { tokens, setNow } = provider('url', { tokenUrl: s.tokenUrl });
    const first = await tokens.getToken();
    setNow(1_000_000 + 30 * 86_400_000);
    expect(await tokens.getToken()).toBe(first);
    const second = await tokens.refresh(first, tokenError);
    expect(second).not.toBe(first);
    expect(s.requests.get(APPID)).toBe(2);
  });

  it('asks once more after a token error; the same token again fails the app, naming it and the service', async () => {
    const s = await service();
    const { tokens, lines } = provider('url', { tokenUrl: s.tokenUrl });
    const first = await tokens.getToken();
    s.set({ answer: 'same' });
    const e = await rejection(tokens.refresh(first, tokenError));
    expect(e).toBeInstanceOf(WechatError);
    expect(e).toMatchObject({ kind: 'fatal', api: 'token', errcode: 42001 });
    expect((e as Error).message).toBe(
      `token service (tokenUrl) for app ${APPID} gave again the token that search refused (errcode 42001); this app fails for now`,
    );
    expect(s.requests.get(APPID)).toBe(2);
    expectNoToken(s.issued, [e, ...lines]);
  });

  it('shares one request among callers reporting the same refused token', async () => {
    const s = await service();
    const { tokens } = provider('url', { tokenUrl: s.tokenUrl });
    const first = await tokens.getToken();
    const fresh = await Promise.all([1, 2, 3].map(() => tokens.refresh(first, tokenError)));
    expect(new Set(fresh).size).toBe(1);
    expect(s.requests.get(APPID)).toBe(2);
  });

  it.each([
    ['a refusal (errcode 61003)', { answer: 'errcode', errcode: 61003 } as const, 'fatal', 'refused, errcode 61003'],
    ['an unknown errcode', { answer: 'errcode', errcode: 99999 } as const, 'fatal', 'refused, errcode 99999'],
    ['"busy" (-1)', { answer: 'errcode', errcode: -1 } as const, 'transient', 'refused, errcode -1'],
    ['HTTP 503', { answer: 'status', status: 503 } as const, 'transient', 'HTTP 503'],
    ['HTTP 404', { answer: 'status', status: 404 } as const, 'fatal', 'HTTP 404'],
    [
      'text that is not JSON',
      { answer: 'text', body: '<html>TKN-leak</html>' } as const,
      'transient',
      'answer is not JSON (21 characters)',
    ],
    [
      'JSON of another shape',
      { answer: 'text', body: '{"token":"TKN-leak"}' } as const,
      'fatal',
      'answer has no access_token (JSON {"access_token", "expires_in"} expected)',
    ],
  ])('turns %s into a WechatError of the right kind that quotes nothing', async (_name, mode, kind, what) => {
    const s = await service();
    s.set(mode.answer === 'errcode' ? { ...mode, errmsg: 'token TKN-leak is not for you' } : mode);
    const { tokens, lines } = provider('url', { tokenUrl: s.tokenUrl });
    const e = await rejection(tokens.getToken());
    expect(e).toBeInstanceOf(WechatError);
    expect(e).toMatchObject({ kind, api: 'token' });
    expect((e as Error).message).toBe(`token service (tokenUrl) for app ${APPID}: ${what}`);
    expectNoToken(['TKN-leak', 'not for you'], [e, ...lines]);
  });

  it('reports a service it cannot reach as transient, without its URL', async () => {
    const s = await service();
    const tokenUrl = `${s.origin}/token?appid={appid}&key=S3rviceKey`;
    await s.close();
    const { tokens } = provider('url', { tokenUrl });
    const e = await rejection(tokens.getToken());
    expect(e).toMatchObject({ name: 'WechatError', kind: 'transient', api: 'token' });
    expect((e as Error).message).toMatch(new RegExp(`^token service \\(tokenUrl\\) for app ${APPID}: request failed`));
    expect(JSON.stringify(e) + String((e as Error).stack) + String((e as Error).cause)).not.toContain('S3rviceKey');
  });
});

describe('url mode through the client, against the simulator', () => {
  /** A token service that hands out real tokens of `sim`'s app (cgi-bin/token gives a new one each time). */
  async function simulatorTokens(sim: Simulator): Promise<TokenService> {
    return service({
      issue: async () => {
        const query = new URLSearchParams({
          grant_type: 'client_credential',
          appid: sim.options.appid,
          secret: sim.options.secret,
        });
        const { body } = await request(`${sim.url}/cgi-bin/token?${query.toString()}`);
        return ((await body.json()) as { access_token: string }).access_token;
      },
    });
  }

  it('exports with the service token, and gets a new one when WeChat refuses it', async () => {
    const sim = await simulator();
    const s = await simulatorTokens(sim);
    const { logger, lines } = recordingLogger();
    const c = client(sim, { tokenMode: 'url', secret: undefined, tokenUrl: s.tokenUrl, logger });
    expect((await c.searchLogs(wholeDay())).list.length).toBeGreaterThan(0);
    await c.getSceneList();
    expect(s.requests.get(sim.options.appid)).toBe(1);
    expect(sim.stats.tokenRequests.stable).toBe(0);
    sim.expireTokens();
    expect((await c.searchLogs(wholeDay())).list.length).toBeGreaterThan(0);
    expect(s.requests.get(sim.options.appid)).toBe(2);
    // Two requests to the service, each told of as a token request; one search met the refused token.
    expect(outcomes(c, 'token')).toEqual({ ok: 2 });
    expect(outcomes(c, 'search')).toEqual({ ok: 2, token: 1 });
    expectNoToken(s.issued, lines);
  });

  it('fails the app when the service hands back the token WeChat just refused', async () => {
    const sim = await simulator();
    const s = await simulatorTokens(sim);
    const { logger, lines } = recordingLogger();
    const c = client(sim, { tokenMode: 'url', secret: undefined, tokenUrl: s.tokenUrl, logger });
    await c.searchLogs(wholeDay());
    s.set({ answer: 'same' });
    sim.expireTokens();
    const e = await rejection(c.searchLogs(wholeDay()));
    expect(e).toMatchObject({ name: 'WechatError', kind: 'fatal', api: 'token' });
    expect((e as Error).message).toContain(
      `token service (tokenUrl) for app ${sim.options.appid} gave again the token`,
    );
    expect(s.requests.get(sim.options.appid)).toBe(2);
    expect(sim.stats.searchArrivals).toHaveLength(2);
    expectNoToken(s.issued, [e, ...lines]);
  });
});

describe('command mode', () => {
  const env = { PATH: '/usr/bin:/bin', HOME: '/nonexistent-home', WXLOG_SECRET: 'not-for-the-command' };

  it('reads JSON {access_token, expires_in} and caches it until the margin', async () => {
    const { tokens, setNow, lines } = provider('command', {
      tokenCommand: `printf '{"access_token":"CMD-%s","expires_in":600}' "$WXLOG_APPID"`,
      tokenEnv: env,
    });
    expect(await tokens.getToken()).toBe(`CMD-${APPID}`);
    setNow(1_000_000 + 600_000 - 60_000 - 1);
    expect(await tokens.getToken()).toBe(`CMD-${APPID}`);
    expect(lines.filter((l) => l.msg === 'access token obtained')).toHaveLength(1);
    setNow(1_000_000 + 600_000);
    await tokens.getToken();
    expect(lines.filter((l) => l.msg === 'access token obtained')).toHaveLength(2);
    expectNoToken([`CMD-${APPID}`], lines);
  });

  it('reads a bare token, and gives the command only WXLOG_APPID, PATH and HOME', async () => {
    const { tokens } = provider('command', {
      tokenCommand:
        'test -z "$WXLOG_SECRET" && test "$HOME" = /nonexistent-home && test -n "$PATH" && echo "bare-$WXLOG_APPID"',
      tokenEnv: env,
    });
    expect(await tokens.getToken()).toBe(`bare-${APPID}`);
  });

  it('runs again after a token error, and fails the app when it prints the same token', async () => {
    const counter = join(dir, 'counter');
    const { tokens, lines } = provider('command', {
      tokenCommand: `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; echo "TOKEN-$n"`,
      tokenEnv: env,
    });
    expect(await tokens.getToken()).toBe('TOKEN-1');
    expect(await tokens.refresh('TOKEN-1', tokenError)).toBe('TOKEN-2');

    const same = provider('command', { tokenCommand: 'echo SAME-TOKEN-XYZ', tokenEnv: env });
    const first = await same.tokens.getToken();
    const e = await rejection(same.tokens.refresh(first, tokenError));
    expect(e).toMatchObject({ name: 'WechatError', kind: 'fatal', api: 'token' });
    expect((e as Error).message).toContain(`token command (tokenCommand) for app ${APPID} gave again the token`);
    expectNoToken(['SAME-TOKEN-XYZ', 'TOKEN-1', 'TOKEN-2'], [e, ...lines, ...same.lines]);
  });

  it.each([
    ['exits 1', 'echo LEAKED-OUTPUT; exit 1', 'transient', 'exited with status 1'],
    [
      'exits 3 after printing JSON',
      `echo '{"access_token":"LEAKED-OUTPUT"}'; exit 3`,
      'transient',
      'exited with status 3',
    ],
    ['prints nothing', 'true', 'fatal', 'exited with status 0 but printed nothing'],
    ['prints words', 'echo LEAKED-OUTPUT and more', 'fatal', 'printed neither one token nor JSON'],
    ['prints broken JSON', `echo '{"access_token": LEAKED-OUTPUT'`, 'fatal', 'starts like JSON but is not'],
    ['prints an errcode', `echo '{"errcode":40013,"errmsg":"LEAKED-OUTPUT"}'`, 'fatal', 'refused, errcode 40013'],
  ])('fails when it %s, naming the app and the status, never the output', async (_name, command, kind, what) => {
    const { tokens, lines } = provider('command', { tokenCommand: command, tokenEnv: env });
    const e = await rejection(tokens.getToken());
    expect(e).toBeInstanceOf(WechatError);
    expect(e).toMatchObject({ kind, api: 'token' });
    expect((e as Error).message).toMatch(new RegExp(`^token command \\(tokenCommand\\) for app ${APPID}: `));
    expect((e as Error).message).toContain(what);
    expectNoToken(['LEAKED-OUTPUT'], [e, ...lines]);
  });

  it('kills a command that runs past its timeout, with what it started', async () => {
    const { tokens } = provider('command', {
      // Not the last command, so the shell cannot exec it: the sleep is a child of its own, holding stdout
      // open. The answer comes once stdout closes: before 5 s only if the sleep was killed with the shell.
      tokenCommand: 'sleep 5; echo late',
      tokenCommandTimeoutMs: 200,
      tokenEnv: env,
    });
    const started = Date.now();
    const e = await rejection(tokens.getToken());
    expect(Date.now() - started).toBeLessThan(2000);
    expect(e).toMatchObject({ name: 'WechatError', kind: 'transient', api: 'token' });
    expect((e as Error).message).toBe(
      `token command (tokenCommand) for app ${APPID}: did not finish within 200 ms and was killed`,
    );
  });

  it('works through the client, whose constructor checks the options', async () => {
    const sim = await simulator();
    const query = new URLSearchParams({
      grant_type: 'client_credential',
      appid: sim.options.appid,
      secret: sim.options.secret,
    });
    const { body } = await request(`${sim.url}/cgi-bin/token?${query.toString()}`);
    const token = ((await body.json()) as { access_token: string }).access_token;
    const c = client(sim, { tokenMode: 'command', secret: undefined, tokenCommand: `echo ${token}`, tokenEnv: env });
    expect((await c.searchLogs(wholeDay())).list.length).toBeGreaterThan(0);
    expect(sim.stats.tokenRequests).toEqual({ stable: 0, classic: 1, forceRefresh: 0 });
    // A run of the command is one token request.
    expect(outcomes(c, 'token')).toEqual({ ok: 1 });
  });

  it('tells of a run the closing client killed as aborted, and of no token', async () => {
    const sim = await simulator();
    const c = client(sim, {
      tokenMode: 'command',
      secret: undefined,
      tokenCommand: 'sleep 5; echo late',
      tokenEnv: env,
    });
    const search = c.searchLogs(wholeDay());
    // Until the command runs (it is spawned once the search asks for a token).
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await c.close();
    await expect(search).rejects.toThrow('WechatClient is closed');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(outcomes(c, 'token')).toEqual({ aborted: 1 });
    expect(outcomes(c, 'search')).toEqual({});
    expect([tokenEvents(c, 'ok'), tokenEvents(c, 'error')]).toEqual([0, 0]);
  });
});

describe('the client constructor', () => {
  const base = { apiBase: 'http://127.0.0.1:9', appid: 'wx1' };

  it('refuses the url and command modes without their option', () => {
    expect(() => new WechatClient({ ...base, tokenMode: 'url', secret: 's' })).toThrow(
      'tokenMode "url" needs a tokenUrl',
    );
    expect(() => new WechatClient({ ...base, tokenMode: 'command' })).toThrow(
      'tokenMode "command" needs a tokenCommand',
    );
  });

  it('refuses an unknown mode and a bad command timeout', () => {
    expect(() => new WechatClient({ ...base, tokenMode: 'oauth' as TokenMode })).toThrow(
      'Expected tokenMode to be one of "stable", "classic", "static", "url", "command", got "oauth"',
    );
    expect(
      () => new WechatClient({ ...base, tokenMode: 'command', tokenCommand: 'true', tokenCommandTimeoutMs: 0 }),
    ).toThrow('Expected tokenCommandTimeoutMs to be a finite number > 0, got 0');
  });
});
