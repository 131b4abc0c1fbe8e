import { spawn } from 'node:child_process';
import { request } from 'undici';
import * as z from 'zod';
import { coerceError } from '../errors/coerce-error.js';
import { classifyErrcode, WechatError } from './errors.js';
import type { HttpTimeouts } from './http-transport.js';
import { sanitizeError } from './redact.js';

/**
 * A token from a central token service (`url`) or a command (`command`): docs/configuration.md, "Central
 * token services". Nothing either prints reaches a message or a log line: messages name the app, the source
 * and a status, never the answer.
 */
export interface SourcedToken {
  token: string;
  /** Seconds the token stays valid; absent when the source did not say (a bare token). */
  expiresInSeconds?: number;
}

/** How long a token command may run before it is killed, unless the client says otherwise. */
export const DEFAULT_TOKEN_COMMAND_TIMEOUT_MS = 10_000;

// More than any token answer: a command that prints more is not printing a token.
const MAX_COMMAND_OUTPUT = 64 * 1024;

const answerSchema = z.looseObject({
  access_token: z.string().regex(/^\S+$/),
  expires_in: z.number().positive().optional(),
});

const errcodeSchema = z.looseObject({ errcode: z.number(), errmsg: z.unknown().optional() });

/** `url` mode: the JSON answer of a GET of `template` with `{appid}` replaced by the URL-encoded AppID. */
export interface UrlTokenRequest {
  template: string;
  appid: string;
  /** Connecting is bounded by undici's shared dispatcher (10 s): connections to one service are shared. */
  timeouts: Pick<HttpTimeouts, 'headersMs' | 'bodyMs'>;
  signal: AbortSignal;
}

/** `command` mode: what to run, and the only environment it gets besides `WXLOG_APPID`. */
export interface CommandTokenRequest {
  command: string;
  appid: string;
  /** `PATH` and `HOME` are taken from it; nothing else is passed on. */
  env: Record<string, string | undefined>;
  timeoutMs: number;
  signal: AbortSignal;
}

/** The name a message gives each source: the setting, never its value (a URL or command may hold a key). */
export const TOKEN_SOURCE_LABEL = { url: 'token service (tokenUrl)', command: 'token command (tokenCommand)' } as const;

function fail(source: keyof typeof TOKEN_SOURCE_LABEL, appid: string, what: string, kind: WechatError['kind']) {
  return new WechatError(`${TOKEN_SOURCE_LABEL[source]} for app ${appid}: ${what}`, { kind, api: 'token' });
}

/** GETs a token from a central token service. Throws a WechatError of api 'token' that names neither URL nor answer. */
export async function fetchUrlToken(req: UrlTokenRequest): Promise<SourcedToken> {
  const url = req.template.replaceAll('{appid}', encodeURIComponent(req.appid));
  let text: string;
  try {
    const response = await request(url, {
      method: 'GET',
      headers: { accept: 'application/json' },
      headersTimeout: req.timeouts.headersMs,
      bodyTimeout: req.timeouts.bodyMs,
      signal: req.signal,
    });
    if (response.statusCode < 200 || response.statusCode >= 300) {
      await response.body.dump().catch(() => undefined);
      const status = response.statusCode;
      // A busy or overloaded service may answer next time; a refusal (404, 401, 403) will not change.
      const kind = status >= 500 || status === 408 || status === 429 ? 'transient' : 'fatal';
      throw fail('url', req.appid, `HTTP ${status}`, kind);
    }
    text = await response.body.text();
  } catch (e: unknown) {
    if (e instanceof WechatError) throw e;
    if (req.signal.aborted) throw req.signal.reason;
    const code = (e as { code?: unknown }).code;
    // Only the code: undici's messages may quote the address, and the URL may carry a key.
    const what = typeof code === 'string' ? `request failed (${code})` : 'request failed';
    throw new WechatError(`${TOKEN_SOURCE_LABEL.url} for app ${req.appid}: ${what}`, {
      kind: 'transient',
      api: 'token',
      cause: sanitizeError(e, [url, req.template]),
    });
  }
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    throw fail('url', req.appid, `answer is not JSON (${text.length} characters)`, 'transient');
  }
  return readAnswer('url', req.appid, answer);
}

/**
 * Runs a token command with `/bin/sh -c`, `WXLOG_APPID` and the given `PATH` and `HOME` its whole
 * environment, and reads the token it prints: bare, or JSON like a token service's answer. Killed (with the
 * processes it started) after `timeoutMs` or when `signal` aborts. Its stderr is dropped unread.
 */
export function runTokenCommand(req: CommandTokenRequest): Promise<SourcedToken> {
  const env: Record<string, string> = { WXLOG_APPID: req.appid };
  for (const name of ['PATH', 'HOME']) {
    const value = req.env[name];
    if (value !== undefined) env[name] = value;
  }
  return new Promise<SourcedToken>((resolve, reject) => {
    req.signal.throwIfAborted();
    // Its own process group, so that a timeout kills what the shell started too (`sleep`, `curl`).
    const child = spawn('/bin/sh', ['-c', req.command], { env, stdio: ['ignore', 'pipe', 'ignore'], detached: true });
    const chunks: Buffer[] = [];
    let size = 0;
    let stopped: 'timeout' | 'abort' | 'output' | undefined;
    const kill = (why: 'timeout' | 'abort' | 'output'): void => {
      stopped ??= why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => kill('timeout'), req.timeoutMs);
    const onAbort = (): void => kill('abort');
    req.signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_COMMAND_OUTPUT) kill('output');
      else chunks.push(chunk);
    });
    let settled = false;
    const settle = (outcome: () => SourcedToken): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal.removeEventListener('abort', onAbort);
      try {
        resolve(outcome());
      } catch (e: unknown) {
        reject(coerceError(e));
      }
    };
    child.on('error', (e) => {
      const code = (e as { code?: unknown }).code;
      settle(() => {
        throw fail(
          'command',
          req.appid,
          `could not be started (${typeof code === 'string' ? code : 'error'})`,
          'fatal',
        );
      });
    });
    // 'close' waits for stdout to end as well: a process the command left behind holding it open is killed
    // with the rest at the timeout.
    child.on('close', (status, signal) => {
      settle(() => {
        if (stopped === 'abort') throw req.signal.reason as Error;
        if (stopped === 'timeout') {
          throw fail('command', req.appid, `did not finish within ${req.timeoutMs} ms and was killed`, 'transient');
        }
        if (stopped === 'output')
          throw fail('command', req.appid, `printed more than ${MAX_COMMAND_OUTPUT} bytes`, 'fatal');
        // A failing command may have met a passing failure (its network, its vault): the retry table decides.
        if (status !== 0) {
          const how = status === null ? `was killed by ${signal ?? 'a signal'}` : `exited with status ${status}`;
          throw fail('command', req.appid, how, 'transient');
        }
        return readOutput(req.appid, Buffer.concat(chunks).toString('utf8'));
      });
    });
  });
}

function readOutput(appid: string, output: string): SourcedToken {
  const text = output.trim();
  if (text === '') throw fail('command', appid, 'exited with status 0 but printed nothing', 'fatal');
  if (text.startsWith('{')) {
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      throw fail('command', appid, 'printed something that starts like JSON but is not', 'fatal');
    }
    return readAnswer('command', appid, answer);
  }
  if (!/^\S+$/.test(text)) {
    throw fail('command', appid, 'printed neither one token nor JSON {"access_token", "expires_in"}', 'fatal');
  }
  return { token: text };
}

function readAnswer(source: keyof typeof TOKEN_SOURCE_LABEL, appid: string, answer: unknown): SourcedToken {
  const refusal = errcodeSchema.safeParse(answer);
  if (refusal.success && refusal.data.errcode !== 0) {
    const { errcode } = refusal.data;
    const kind = classifyErrcode(errcode);
    // The service refused this app a token (not authorized, bad credentials, unknown errcode): fatal, not
    // 'token'. A 'token' error means an API refused a token we hold, which a new token can mend; here there
    // is no token, and asking again would be refused the same way. Only "busy" (-1) and the limits are not
    // final. errmsg is left out: a service may echo anything in it.
    const final = kind === 'transient' || kind === 'rate' || kind === 'quota' ? kind : 'fatal';
    throw new WechatError(`${TOKEN_SOURCE_LABEL[source]} for app ${appid}: refused, errcode ${errcode}`, {
      kind: final,
      api: 'token',
      errcode,
    });
  }
  const parsed = answerSchema.safeParse(answer);
  if (!parsed.success) {
    // A service that answers another shape will answer it again: its contract is not ours.
    throw fail(source, appid, 'answer has no access_token (JSON {"access_token", "expires_in"} expected)', 'fatal');
  }
  const { access_token: token, expires_in: expiresIn } = parsed.data;
  return expiresIn === undefined ? { token } : { token, expiresInSeconds: expiresIn };
}
