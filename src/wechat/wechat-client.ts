import type { Pool } from 'undici';
import * as z from 'zod';
import type { ExportEvents, RequestResult } from '../events/export-events.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { abortableSleep, type Sleep } from './abortable-sleep.js';
import { apiQuotaAnswerSchema, toApiQuota, type ApiQuota } from './api-quota.js';
import { classifyErrcode, errcodeMeaning, WechatError, type WechatApi, type WechatErrorKind } from './errors.js';
import { HttpTransport } from './http-transport.js';
import { redactSecrets } from './redact.js';
import { resolveRetryPolicy, type RetryPolicy, type RetryRule } from './retry-policy.js';
import { buildSearchQuery, validateSearchParams } from './search-query.js';
import { TOKEN_MODES, type TokenMode } from './token-mode.js';
import { TokenProvider } from './token-provider.js';
import { readSearchData } from './served-entry.js';
import { sceneSchema, type Scene, type SearchPage, type SearchParams } from './types.js';
import { withRetries, type RetryRun } from './with-retries.js';

type LogFields = Record<string, unknown>;

/** The seam for the export's rate budget: every HTTP request to userlog_search, retries included, awaits acquire() right before it is sent. */
export interface SearchGate {
  acquire(signal?: AbortSignal): Promise<void>;
  /** The server answered 200010/45011: the gate should hold further requests back (then the client retries without its own delay). */
  onRateLimited?(): void;
  /** How long a request asked for now would wait: makes a retry's logged delay the real one. */
  expectedWaitMs?(): number;
}

export interface WechatClientOptions {
  apiBase: string;
  appid: string;
  secret?: string | undefined;
  tokenMode: TokenMode;
  accessToken?: string | undefined;
  /** For tokenMode `url`: GET this, `{appid}` replaced by the AppID (docs/configuration.md, "Central token services"). */
  tokenUrl?: string | undefined;
  /** For tokenMode `command`: run by `/bin/sh -c` with `WXLOG_APPID` in its environment. */
  tokenCommand?: string | undefined;
  /** For tokenMode `command`: killed after this long. Default 10 s. */
  tokenCommandTimeoutMs?: number | undefined;
  /** For tokenMode `command`: the environment its `PATH` and `HOME` come from. Default: none (the CLI passes its own). */
  tokenEnv?: Record<string, string | undefined> | undefined;
  searchGate?: SearchGate;
  /** Connections shared with other clients (http-transport.ts, sharedHttpPool); the pool's owner closes it. */
  httpPool?: Pool;
  /** Defaults: connect 10 s, headers 30 s, body 30 s. */
  timeouts?: { connectMs?: number; headersMs?: number; bodyMs?: number };
  retryPolicy?: Partial<Record<WechatErrorKind, Partial<RetryRule>>>;
  /** Default: silent. */
  logger?: Logger;
  random?: () => number;
  /** Default: abortableSleep (src/wechat/abortable-sleep.ts). */
  sleep?: Sleep;
  /** Unix milliseconds, for token expiry. Default `Date.now`. */
  now?: () => number;
  /**
   * Where a `request` event goes for each request sent, once it has ended (answered, failed or aborted), and
   * a `token` event for each token obtained or given up on; they name `appid` (docs/operations.md). What the
   * client did is told there only: the `runs` row, the metrics and the progress line count these events.
   */
  events?: ExportEvents | undefined;
}

/** realtimelogSearch's path: the request path, and the `cgi_path` whose quota getApiQuota reports by default. */
export const SEARCH_PATH = '/wxaapi/userlog/userlog_search';
const SCENE_PATH = '/wxaapi/log/get_scene';
const QUOTA_PATH = '/cgi-bin/openapi/quota/get';
// The last path segment ("get") would say nothing in an error message.
const QUOTA_LABEL = 'openapi/quota/get';

const envelopeSchema = z.looseObject({ errcode: z.number().optional(), errmsg: z.string().optional() });
const sceneAnswerSchema = z.looseObject({ scene: z.array(sceneSchema) });

/**
 * A client for realtimelogSearch, getSceneList and getApiQuota. It gets and renews access tokens, retries by
 * the policy table, sends every search request through the `searchGate`, and reports every
 * failure as a `WechatError`; no error or log line it produces contains the token or the secret.
 */
export class WechatClient {
  readonly #options: WechatClientOptions;
  readonly #policy: RetryPolicy;
  readonly #transport: HttpTransport;
  readonly #tokens: TokenProvider;
  readonly #log: Logger;
  readonly #random: () => number;
  readonly #sleep: Sleep;
  readonly #lifetime = new AbortController();
  #closed: Promise<void> | undefined;
  // Every token this client has used, so that even an old one is masked out of error text.
  readonly #tokensSeen = new Set<string>();

  constructor(options: WechatClientOptions) {
    const { appid, tokenMode } = options;
    if (!appid) throw new TypeError('WechatClient needs an appid');
    if (!(TOKEN_MODES as readonly unknown[]).includes(tokenMode)) {
      const modes = TOKEN_MODES.map((mode) => `"${mode}"`).join(', ');
      throw new TypeError(`Expected tokenMode to be one of ${modes}, got ${JSON.stringify(tokenMode)}`);
    }
    // The option each token mode cannot do without.
    const needs = (
      {
        stable: 'secret',
        classic: 'secret',
        static: 'accessToken',
        url: 'tokenUrl',
        command: 'tokenCommand',
      } as const satisfies Record<TokenMode, keyof WechatClientOptions>
    )[tokenMode];
    if (!options[needs]) {
      throw new TypeError(`tokenMode "${tokenMode}" needs ${needs === 'accessToken' ? 'an' : 'a'} ${needs}`);
    }
    const commandTimeout = options.tokenCommandTimeoutMs;
    if (commandTimeout !== undefined && (!Number.isFinite(commandTimeout) || commandTimeout <= 0)) {
      throw new RangeError(`Expected tokenCommandTimeoutMs to be a finite number > 0, got ${String(commandTimeout)}`);
    }
    this.#options = options;
    this.#policy = resolveRetryPolicy(options.retryPolicy);
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? abortableSleep;
    this.#log = redactingLogger((options.logger ?? silentLogger).child({ component: 'wechat' }), () => this.#secrets());

    const timeouts = {
      connectMs: options.timeouts?.connectMs ?? 10_000,
      headersMs: options.timeouts?.headersMs ?? 30_000,
      bodyMs: options.timeouts?.bodyMs ?? 30_000,
    };
    for (const [name, value] of Object.entries(timeouts)) {
      if (!Number.isFinite(value) || value <= 0) {
        throw new RangeError(`Expected timeouts.${name} to be a finite number > 0, got ${String(value)}`);
      }
    }
    this.#transport = new HttpTransport({
      apiBase: options.apiBase,
      timeouts,
      secrets: () => this.#secrets(),
      ...(options.httpPool ? { pool: options.httpPool } : {}),
    });
    this.#tokens = new TokenProvider({
      mode: tokenMode,
      appid,
      secret: options.secret,
      accessToken: options.accessToken,
      tokenUrl: options.tokenUrl,
      tokenCommand: options.tokenCommand,
      tokenCommandTimeoutMs: commandTimeout,
      tokenEnv: options.tokenEnv,
      observeRequest: async (fetch) => {
        const token = await this.#observedRequest('token', this.#lifetime.signal, fetch);
        this.#options.events?.emit({ type: 'token', appid, mode: tokenMode, result: 'ok' });
        return token;
      },
      timeouts,
      transport: this.#transport,
      retryPolicy: this.#policy,
      retries: this.#observedRetries('token'),
      now: options.now ?? Date.now,
      logger: this.#log,
      lifetime: this.#lifetime.signal,
    });
  }

  /** One page of realtimelogSearch. Retries per the policy; throws WechatError (kind 'params' for 200002, unretried). */
  async searchLogs(params: SearchParams, signal?: AbortSignal): Promise<SearchPage> {
    this.#throwIfClosed();
    validateSearchParams(params);
    const gate = this.#options.searchGate;
    const window = `date=${params.date} begintime=${params.begintime} endtime=${params.endtime} start=${params.start} limit=${params.limit}`;
    // A gate that paces requests after a rate error is all the wait a retry needs.
    const paced = gate?.onRateLimited !== undefined;
    return this.#withTokenRetries(
      'search',
      async (token) => {
        const query = buildSearchQuery(params, token);
        await gate?.acquire(signal);
        return this.#observedRequest('search', signal, async (onSent) => {
          const answer = await this.#transport.call({
            api: 'search',
            method: 'GET',
            path: SEARCH_PATH,
            query,
            signal,
            onSent,
          });
          const envelope = this.#parse('search', 'userlog_search', answer, envelopeSchema, window);
          // Entry by entry, never the page as a whole: an entry of an undocumented shape is kept, not refused.
          const page = readSearchData(envelope['data']);
          if (typeof page === 'string')
            throw new WechatError(`userlog_search: ${page}`, { kind: 'transient', api: 'search' });
          return page;
        });
      },
      signal,
      // The gate should hold back even when this call gives up.
      {
        onRateLimited: () => gate?.onRateLimited?.(),
        atOnce: paced ? ['rate'] : [],
        gateDelayMs: () => gate?.expectedWaitMs?.() ?? 0,
      },
    );
  }

  /** getSceneList; `value` is always text (1001 → "1001"). */
  async getSceneList(signal?: AbortSignal): Promise<Scene[]> {
    this.#throwIfClosed();
    return this.#withTokenRetries(
      'scenes',
      async (token) => {
        const query = new URLSearchParams({ access_token: token });
        return this.#observedRequest('scenes', signal, async (onSent) => {
          const answer = await this.#transport.call({
            api: 'scenes',
            method: 'GET',
            path: SCENE_PATH,
            query,
            signal,
            onSent,
          });
          const parsed = this.#parse('scenes', 'get_scene', answer, sceneAnswerSchema);
          return parsed.scene.map((s) => ({ name: s.name, value: String(s.value) }));
        });
      },
      signal,
    );
  }

  /**
   * getApiQuota: today's quota and the rate limits of the API at `cgiPath` (by default
   * userlog_search) for this app. Token errors and transient failures are retried like getSceneList;
   * it is another API than the search, so it never passes the search gate. 76021 (unknown
   * cgi_path), 76022 (not allowed) and 48001 (not authorized) are fatal.
   */
  async getApiQuota(cgiPath: string = SEARCH_PATH, signal?: AbortSignal): Promise<ApiQuota> {
    this.#throwIfClosed();
    // WeChat answers 76003 to a path without its leading "/" or with the host in front: say so before calling.
    if (typeof cgiPath !== 'string' || !cgiPath.startsWith('/')) {
      throw new RangeError(`Expected cgiPath to be an API path starting with "/", got ${JSON.stringify(cgiPath)}`);
    }
    return this.#withTokenRetries(
      'quota',
      async (token) => {
        const query = new URLSearchParams({ access_token: token });
        return this.#observedRequest('quota', signal, async (onSent) => {
          const answer = await this.#transport.call({
            api: 'quota',
            method: 'POST',
            path: QUOTA_PATH,
            label: QUOTA_LABEL,
            query,
            json: { cgi_path: cgiPath },
            signal,
            onSent,
          });
          // 76021 and 76022 are about the path asked for: name it.
          return toApiQuota(this.#parse('quota', `${QUOTA_LABEL} (cgi_path ${cgiPath})`, answer, apiQuotaAnswerSchema));
        });
      },
      signal,
    );
  }

  /** Stops token fetches in progress, lets requests in flight finish and closes the connection pool. */
  close(): Promise<void> {
    this.#lifetime.abort(new Error('WechatClient is closed'));
    // Idempotent: undici refuses to close a pool twice.
    this.#closed ??= this.#transport.close();
    return this.#closed;
  }

  #rememberToken(token: string): void {
    if (this.#tokensSeen.has(token)) return;
    this.#tokensSeen.add(token);
    // A daemon sees a new token every two hours: keep the recent ones, which are all that can
    // still turn up in an answer or error.
    const oldest = this.#tokensSeen.values().next();
    if (this.#tokensSeen.size > 16 && !oldest.done) this.#tokensSeen.delete(oldest.value);
  }

  #throwIfClosed(): void {
    // A closed pool would fail every attempt as "transient" and be retried: say what is wrong instead.
    if (this.#lifetime.signal.aborted) throw new Error('WechatClient is closed');
  }

  /**
   * Retries `send` by the policy (with-retries.ts), with a valid token each time; a token error gets the
   * token refreshed before the retry, which then needs no backoff. `extra` adds what the search needs:
   * its gate told of rate errors, and the kinds the gate's pacing retries at once.
   */
  #withTokenRetries<T>(
    api: WechatApi,
    send: (token: string) => Promise<T>,
    signal: AbortSignal | undefined,
    extra: { onRateLimited?: () => void; atOnce?: readonly WechatErrorKind[]; gateDelayMs?: () => number } = {},
  ): Promise<T> {
    let token: string | undefined;
    const observed = this.#observedRetries(api);
    return withRetries(
      this.#policy,
      async () => {
        token = await this.#tokens.getToken(signal);
        this.#rememberToken(token);
        return send(token);
      },
      {
        ...observed,
        api,
        signal,
        ...(extra.gateDelayMs && { gateDelayMs: extra.gateDelayMs }),
        atOnce: new Set<WechatErrorKind>(['token', ...(extra.atOnce ?? [])]),
        ...(extra.onRateLimited && { onRateLimited: extra.onRateLimited }),
        beforeRetry: async (error) => {
          if (error.kind !== 'token' || token === undefined) return;
          this.#log.info('access token rejected, getting a new one', { api, errcode: error.errcode });
          await this.#tokens.refresh(token, error, signal);
        },
      },
    );
  }

  /**
   * One request of `api` (sent, answered, its answer read; `request` calls `onSent` as it leaves): once it
   * has ended, one `request` event with how, `ok` or the error's kind, or `aborted` when `signal` was
   * aborted after it left and before its answer was read. One aborted before it left (waiting for a
   * connection) never reached WeChat and is not told of: so `wxlog_search_requests_total` and
   * `runs.search_calls` are what WeChat received. The duration runs from its leaving.
   */
  async #observedRequest<T>(
    api: WechatApi,
    signal: AbortSignal | undefined,
    request: (onSent: () => void) => Promise<T>,
  ): Promise<T> {
    const started = performance.now();
    let sentAt: number | undefined;
    let result: RequestResult | undefined = 'ok';
    try {
      return await request(() => {
        sentAt ??= performance.now();
      });
    } catch (e: unknown) {
      if (e instanceof WechatError) result = e.kind;
      else if (signal?.aborted) result = sentAt === undefined ? undefined : 'aborted';
      // Not WeChat's failure, and no abort: a bug, which no retry mends.
      else result = 'fatal';
      throw e;
    } finally {
      const { appid, events } = this.#options;
      const durationMs = performance.now() - (sentAt ?? started);
      if (result !== undefined) events?.emit({ type: 'request', appid, api, result, durationMs });
    }
  }

  /** What every retried call of `api` reports: one log line per retry, and a token fetch given up on. */
  #observedRetries(api: WechatApi): Omit<RetryRun, 'api' | 'signal'> {
    const { appid, tokenMode: mode } = this.#options;
    return {
      sleep: this.#sleep,
      random: this.#random,
      ...(api === 'token' && {
        onGiveUp: () => this.#options.events?.emit({ type: 'token', appid, mode, result: 'error' }),
      }),
      onRetry: ({ error, retry, of, delayMs, backoffMs, gateMs }) => {
        this.#log.warn('WeChat call failed; retrying', {
          api,
          kind: error.kind,
          errcode: error.errcode,
          httpStatus: error.httpStatus,
          retry,
          of,
          delayMs: Math.round(delayMs),
          backoffMs: Math.round(backoffMs),
          budgetWaitMs: Math.round(gateMs),
          error: error.message,
        });
      },
    };
  }

  #parse<S extends z.ZodType>(api: WechatApi, label: string, answer: unknown, schema: S, request?: string): z.infer<S> {
    const envelope = envelopeSchema.safeParse(answer);
    if (!envelope.success) {
      throw new WechatError(
        `${label}: answer is JSON but not an object with errcode/errmsg (${describeIssues(envelope.error)})`,
        {
          kind: 'transient',
          api,
        },
      );
    }
    const { errcode, errmsg } = envelope.data;
    if (errcode !== undefined && errcode !== 0) {
      const kind = classifyErrcode(errcode);
      const meaning = errcodeMeaning(errcode);
      const server = errmsg ? ` (${redactSecrets(errmsg, this.#secrets())})` : '';
      const context = kind === 'params' && request ? ` for ${request}` : '';
      throw new WechatError(`${label}: ${meaning}${context}: errcode ${errcode}${server}`, { kind, api, errcode });
    }
    const parsed = schema.safeParse(answer);
    if (!parsed.success) {
      // A proxy or a bad moment upstream, not a contract change we can act on: retried as transient.
      throw new WechatError(`${label}: answer does not have the documented shape (${describeIssues(parsed.error)})`, {
        kind: 'transient',
        api,
      });
    }
    return parsed.data;
  }

  #secrets(): string[] {
    return [this.#options.secret, this.#options.accessToken, this.#tokens?.current, ...this.#tokensSeen].filter(
      (s): s is string => typeof s === 'string' && s.length > 0,
    );
  }
}

function describeIssues(error: z.ZodError): string {
  const shown = error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.map(String).join('.');
    return `${path || '(root)'}: ${issue.message}`;
  });
  const more = error.issues.length > shown.length ? `; and ${error.issues.length - shown.length} more` : '';
  return `${shown.join('; ')}${more}`;
}

// Every line this client logs passes through here, so that a secret in a message or field never
// reaches the log even if some code path forgets to redact.
function redactingLogger(inner: Logger, secrets: () => string[]): Logger {
  const clean = (fields?: LogFields): LogFields | undefined => {
    if (!fields) return fields;
    const out: LogFields = {};
    for (const [key, value] of Object.entries(fields)) {
      out[key] = typeof value === 'string' ? redactSecrets(value, secrets()) : value;
    }
    return out;
  };
  return {
    debug: (msg, fields) => inner.debug(redactSecrets(msg, secrets()), clean(fields)),
    info: (msg, fields) => inner.info(redactSecrets(msg, secrets()), clean(fields)),
    warn: (msg, fields) => inner.warn(redactSecrets(msg, secrets()), clean(fields)),
    error: (msg, fields) => inner.error(redactSecrets(msg, secrets()), clean(fields)),
    child: (fields) => redactingLogger(inner.child(clean(fields) ?? {}), secrets),
  };
}
