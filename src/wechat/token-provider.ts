import * as z from 'zod';
import { classifyErrcode, errcodeInfo, WechatError } from './errors.js';
import type { HttpTimeouts, HttpTransport } from './http-transport.js';
import { redactSecrets } from './redact.js';
import type { RetryPolicy } from './retry-policy.js';
import type { TokenMode } from './token-mode.js';
import {
  DEFAULT_TOKEN_COMMAND_TIMEOUT_MS,
  fetchUrlToken,
  runTokenCommand,
  TOKEN_SOURCE_LABEL,
  type SourcedToken,
} from './token-source.js';
import { withRetries, type RetryRun } from './with-retries.js';
import type { Logger } from '../log/logger.js';

export interface TokenProviderOptions {
  mode: TokenMode;
  appid: string;
  secret?: string | undefined;
  accessToken?: string | undefined;
  /** For `url`: the token service, `{appid}` replaced by the AppID. */
  tokenUrl?: string | undefined;
  /** For `command`: run by `/bin/sh -c`. */
  tokenCommand?: string | undefined;
  /** For `command`: killed after this long. Default 10 s. */
  tokenCommandTimeoutMs?: number | undefined;
  /** For `command`: where its `PATH` and `HOME` come from (nothing else of it is passed on). Default: none. */
  tokenEnv?: Record<string, string | undefined> | undefined;
  /**
   * Wraps each attempt to get a token: one request to a token endpoint or the token service, or one run of
   * the token command, which calls `onSent` as it leaves (the client tells of each in a `request` event).
   * Default: the attempt as it is.
   */
  observeRequest?: ((fetch: (onSent: () => void) => Promise<string>) => Promise<string>) | undefined;
  /** For `url`: the client's header and body timeouts. Default 30 s each. */
  timeouts?: Pick<HttpTimeouts, 'headersMs' | 'bodyMs'> | undefined;
  transport: HttpTransport;
  /** The table token fetches are retried by (with-retries.ts), the client's. */
  retryPolicy: RetryPolicy;
  /** The client's sleep, jitter and observers of retries; the API and the signal are the provider's own. */
  retries?: Omit<RetryRun, 'api' | 'signal'>;
  /** Unix milliseconds. */
  now: () => number;
  logger: Logger;
  /** Aborted when the client closes: ends a shared fetch nobody waits for any more. */
  lifetime: AbortSignal;
}

const STABLE_TOKEN_PATH = '/cgi-bin/stable_token';
const CLASSIC_TOKEN_PATH = '/cgi-bin/token';
// Renew this long before WeChat says the token expires, but never more than a tenth of its life
// (short-lived tokens in tests would otherwise be renewed on every call).
const MAX_EXPIRY_MARGIN_MS = 300_000;

const tokenAnswerSchema = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
});

/**
 * Access tokens for one app. `stable` (default) uses cgi-bin/stable_token, which leaves tokens that
 * other services of the app hold valid, and forces a refresh only when a normal request hands back
 * the very token that was just refused. `classic` uses cgi-bin/token, which invalidates other
 * holders' tokens. `static` serves a token supplied from outside and cannot refresh it. `url` and
 * `command` get it from a central token service or a command (token-source.ts); when one hands back the
 * token just refused, the app fails (docs/configuration.md, "Central token services").
 *
 * Tokens are cached until shortly before they expire (a token without `expires_in` until it is refused);
 * concurrent callers share one fetch.
 */
export class TokenProvider {
  readonly #options: TokenProviderOptions;
  #cached: { token: string; expiresAt: number } | undefined;
  #inflight: { force: boolean; promise: Promise<string> } | undefined;
  readonly #refreshing = new Map<string, Promise<string>>();

  constructor(options: TokenProviderOptions) {
    this.#options = options;
  }

  /** The token in use, if any: callers mask it out of text they emit. */
  get current(): string | undefined {
    return this.#options.mode === 'static' ? this.#options.accessToken : this.#cached?.token;
  }

  async getToken(signal?: AbortSignal): Promise<string> {
    const { mode, accessToken } = this.#options;
    if (mode === 'static') {
      if (!accessToken) throw new TypeError('tokenMode "static" needs an accessToken');
      return accessToken;
    }
    const cached = this.#cached;
    if (cached && this.#options.now() < cached.expiresAt) return cached.token;
    return this.#fetchShared(false, signal);
  }

  /**
   * A token different from `rejected`, which an API refused with `error` (a token error).
   * Callers that report the same rejected token at the same time share one refresh.
   */
  refresh(rejected: string, error: WechatError, signal?: AbortSignal): Promise<string> {
    if (this.#options.mode === 'static') {
      return Promise.reject(
        new WechatError(
          `WeChat rejected the supplied WXLOG_ACCESS_TOKEN (errcode ${error.errcode ?? 'unknown'}) and it cannot be refreshed: supply a valid token`,
          { kind: 'fatal', api: error.api, errcode: error.errcode, httpStatus: error.httpStatus },
        ),
      );
    }
    let pending = this.#refreshing.get(rejected);
    if (!pending) {
      pending = this.#refresh(rejected, error).finally(() => this.#refreshing.delete(rejected));
      pending.catch(() => undefined);
      this.#refreshing.set(rejected, pending);
    }
    return withSignal(pending, signal);
  }

  async #refresh(rejected: string, error: WechatError): Promise<string> {
    if (this.#cached?.token === rejected) this.#cached = undefined;
    const fresh = await this.getToken();
    const { mode, appid } = this.#options;
    if (fresh !== rejected || mode === 'classic') return fresh;
    if (mode === 'url' || mode === 'command') {
      // Asked once more and given the same refused token: the service cannot help this app now.
      this.#cached = undefined;
      throw new WechatError(
        `${TOKEN_SOURCE_LABEL[mode]} for app ${appid} gave again the token that ${error.api} refused ` +
          `(errcode ${error.errcode ?? 'unknown'}); this app fails for now`,
        { kind: 'fatal', api: 'token', errcode: error.errcode },
      );
    }
    // stable_token answers with its cached token while WeChat thinks it valid; only a forced
    // refresh (limited per day) replaces a token the API has just refused.
    this.#options.logger.info('stable_token returned the token that was just rejected; forcing a refresh');
    this.#cached = undefined;
    return this.#fetchShared(true);
  }

  #fetchShared(force: boolean, signal?: AbortSignal): Promise<string> {
    let inflight = this.#inflight;
    // A normal fetch cannot stand in for a forced one.
    if (!inflight || (force && !inflight.force)) {
      const { retryPolicy, retries, lifetime, observeRequest } = this.#options;
      const attempt = (onSent?: () => void): Promise<string> => this.#fetch(force, onSent);
      const promise = withRetries(retryPolicy, observeRequest ? () => observeRequest(attempt) : () => attempt(), {
        ...retries,
        api: 'token',
        signal: lifetime,
      }).finally(() => {
        if (this.#inflight?.promise === promise) this.#inflight = undefined;
      });
      // Waiters may all have given up (their signals); the outcome must not become an unhandled rejection.
      promise.catch(() => undefined);
      inflight = { force, promise };
      this.#inflight = inflight;
    }
    return withSignal(inflight.promise, signal);
  }

  async #fetch(force: boolean, onSent?: () => void): Promise<string> {
    const { mode } = this.#options;
    if (mode === 'url' || mode === 'command') return this.#fetchSourced(mode, onSent);
    const { appid, secret, transport, lifetime } = this.#options;
    if (!secret) throw new TypeError(`tokenMode "${mode}" needs a secret`);
    const startedAt = this.#options.now();
    const path = mode === 'stable' ? STABLE_TOKEN_PATH : CLASSIC_TOKEN_PATH;
    const answer =
      mode === 'stable'
        ? await transport.call({
            api: 'token',
            method: 'POST',
            path,
            json: { grant_type: 'client_credential', appid, secret, force_refresh: force },
            signal: lifetime,
            onSent,
          })
        : await transport.call({
            api: 'token',
            method: 'GET',
            path,
            query: new URLSearchParams({ grant_type: 'client_credential', appid, secret }),
            signal: lifetime,
            onSent,
          });
    const label = path.slice(path.lastIndexOf('/') + 1);
    this.#throwIfErrcode(label, force, answer);
    const parsed = tokenAnswerSchema.safeParse(answer);
    if (!parsed.success) {
      throw new WechatError(`${label}: answer has no access_token and expires_in (unexpected shape)`, {
        kind: 'transient',
        api: 'token',
      });
    }
    const token = parsed.data.access_token;
    this.#cached = { token, expiresAt: expiryOf(startedAt, parsed.data.expires_in) };
    this.#options.logger.debug('access token obtained', {
      mode,
      forceRefresh: force,
      expiresInSeconds: parsed.data.expires_in,
    });
    return token;
  }

  async #fetchSourced(mode: 'url' | 'command', onSent?: () => void): Promise<string> {
    const { appid, tokenUrl, tokenCommand, lifetime } = this.#options;
    const startedAt = this.#options.now();
    // It leaves now: the command starts at once, and undici's global agent opens a connection to the
    // service for each request rather than queueing one. One already aborted does not leave.
    lifetime.throwIfAborted();
    onSent?.();
    let sourced: SourcedToken;
    if (mode === 'url') {
      if (!tokenUrl) throw new TypeError('tokenMode "url" needs a tokenUrl');
      const timeouts = this.#options.timeouts ?? { headersMs: 30_000, bodyMs: 30_000 };
      sourced = await fetchUrlToken({ template: tokenUrl, appid, timeouts, signal: lifetime });
    } else {
      if (!tokenCommand) throw new TypeError('tokenMode "command" needs a tokenCommand');
      sourced = await runTokenCommand({
        command: tokenCommand,
        appid,
        env: this.#options.tokenEnv ?? {},
        timeoutMs: this.#options.tokenCommandTimeoutMs ?? DEFAULT_TOKEN_COMMAND_TIMEOUT_MS,
        signal: lifetime,
      });
    }
    const { token, expiresInSeconds } = sourced;
    this.#cached = {
      token,
      expiresAt: expiresInSeconds === undefined ? Infinity : expiryOf(startedAt, expiresInSeconds),
    };
    this.#options.logger.debug('access token obtained', { mode, expiresInSeconds });
    return token;
  }

  #throwIfErrcode(label: string, force: boolean, answer: unknown): void {
    if (typeof answer !== 'object' || answer === null) return;
    const { errcode, errmsg } = answer as { errcode?: unknown; errmsg?: unknown };
    if (typeof errcode !== 'number' || errcode === 0) return;
    const detail = `errcode ${errcode}${typeof errmsg === 'string' ? ` (${redactSecrets(errmsg, [this.#options.secret])})` : ''}`;
    const kind = classifyErrcode(errcode);
    const info = errcodeInfo(errcode);
    const credential = info?.credentials ? info.meaning : undefined;
    if (credential !== undefined || kind === 'token' || kind === 'fatal') {
      // A token error from a token endpoint means the credentials themselves are wrong:
      // fetching again would fail the same way.
      throw new WechatError(
        `${label}: WeChat refused the credentials of appid ${this.#options.appid}${credential ? `, ${credential}` : ''}: ${detail}`,
        { kind: 'fatal', api: 'token', errcode },
      );
    }
    if (kind === 'quota') {
      throw new WechatError(
        `${label}: ${force ? 'the daily limit of forced token refreshes is reached' : 'daily quota reached'}: ${detail}`,
        { kind, api: 'token', errcode },
      );
    }
    throw new WechatError(`${label}: ${detail}`, { kind, api: 'token', errcode });
  }
}

/** When a token obtained at `startedAt` should be renewed: its life less the margin. */
function expiryOf(startedAt: number, expiresInSeconds: number): number {
  const lifeMs = expiresInSeconds * 1000;
  return startedAt + lifeMs - Math.min(MAX_EXPIRY_MARGIN_MS, lifeMs / 10);
}

/** `promise`, or the abort reason of `signal` if that comes first (the shared work goes on). */
function withSignal<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        // Passed on as it came: the caller classifies what the token fetch threw.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(error);
      },
    );
  });
}
