import { Pool, type Dispatcher } from 'undici';
import { WechatError, type WechatApi } from './errors.js';
import { redactSecrets, sanitizeError } from './redact.js';

export interface HttpTimeouts {
  connectMs: number;
  headersMs: number;
  bodyMs: number;
}

export interface HttpTransportOptions {
  /** Origin of the API, optionally with a path prefix (a proxy): `https://api.weixin.qq.com`. */
  apiBase: string;
  timeouts: HttpTimeouts;
  /** Secrets known right now (the token changes), masked out of every error. */
  secrets: () => Iterable<string | undefined>;
  /**
   * Connections to the API's origin shared with other transports ({@link sharedHttpPool}): many apps' clients
   * then use one bounded set of keep-alive connections. Its owner closes it; `close()` here leaves it open.
   */
  pool?: Pool;
}

/** An interceptor that calls `onSent` when undici has a connection for the request and is to write it. */
function tellingWhenSent(onSent: () => void): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (options, handler) =>
    dispatch(options, {
      onRequestStart: (controller, context: unknown) => {
        onSent();
        handler.onRequestStart?.(controller, context);
      },
      onRequestUpgrade: (controller, statusCode, headers, socket) =>
        handler.onRequestUpgrade?.(controller, statusCode, headers, socket),
      onResponseStart: (controller, statusCode, headers, statusMessage) =>
        handler.onResponseStart?.(controller, statusCode, headers, statusMessage),
      onResponseData: (controller, chunk) => handler.onResponseData?.(controller, chunk),
      onResponseEnd: (controller, trailers) => handler.onResponseEnd?.(controller, trailers),
      onResponseError: (controller, error) => handler.onResponseError?.(controller, error),
    });
}

/**
 * One bounded keep-alive pool for every client of a process that talks to `apiBase`'s origin: a pass over a
 * thousand apps opens at most `connections` sockets to WeChat, whatever number of apps are in flight.
 */
export function sharedHttpPool(apiBase: string, connections: number, timeouts: HttpTimeouts): Pool {
  return new Pool(new URL(apiBase).origin, {
    connections,
    connectTimeout: timeouts.connectMs,
    headersTimeout: timeouts.headersMs,
    bodyTimeout: timeouts.bodyMs,
  });
}

/** The client's timeouts when none are given: connect 10 s, headers 30 s, body 30 s. */
export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { connectMs: 10_000, headersMs: 30_000, bodyMs: 30_000 };

export interface HttpCall {
  api: WechatApi;
  method: 'GET' | 'POST';
  /** Path below `apiBase`, e.g. `/wxaapi/log/get_scene`. */
  path: string;
  /** Names the endpoint in errors; default the last segment of `path` (`get_scene`). */
  label?: string;
  query?: URLSearchParams;
  json?: unknown;
  signal?: AbortSignal | undefined;
  /**
   * Called once the request leaves: it has a connection and is being written. One aborted before (while it
   * waited for a connection of a shared pool) never reached WeChat.
   */
  onSent?: (() => void) | undefined;
}

/**
 * HTTP to WeChat over one keep-alive undici pool. Answers the parsed JSON of a 2xx response; turns
 * everything else (network errors, timeouts, HTTP errors, bodies that are not JSON) into a
 * `WechatError` whose message and cause are free of secrets. An aborted `signal` rethrows its reason.
 */
export class HttpTransport {
  readonly #pool: Pool;
  readonly #ownsPool: boolean;
  readonly #prefix: string;
  readonly #options: HttpTransportOptions;

  constructor(options: HttpTransportOptions) {
    let base: URL;
    try {
      base = new URL(options.apiBase);
    } catch {
      throw new TypeError(`Expected apiBase to be an absolute http(s) URL, got ${JSON.stringify(options.apiBase)}`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new TypeError(`Expected apiBase to be an http(s) URL, got ${JSON.stringify(options.apiBase)}`);
    }
    this.#options = options;
    this.#prefix = base.pathname.replace(/\/+$/, '');
    this.#ownsPool = options.pool === undefined;
    this.#pool =
      options.pool ??
      new Pool(base.origin, {
        connectTimeout: options.timeouts.connectMs,
        headersTimeout: options.timeouts.headersMs,
        bodyTimeout: options.timeouts.bodyMs,
      });
  }

  async call(call: HttpCall): Promise<unknown> {
    const label = call.label ?? call.path.slice(call.path.lastIndexOf('/') + 1);
    const query = call.query === undefined ? '' : `?${call.query.toString()}`;
    call.signal?.throwIfAborted();

    let response: Awaited<ReturnType<Pool['request']>>;
    const { onSent, signal } = call;
    // Undici starts a queued request even when its signal was aborted meanwhile, only to abort it before
    // writing anything: that one never leaves.
    const sent = (): void => {
      if (!signal?.aborted) onSent?.();
    };
    const dispatcher = onSent ? this.#pool.compose(tellingWhenSent(sent)) : this.#pool;
    try {
      response = await dispatcher.request({
        method: call.method,
        path: `${this.#prefix}${call.path}${query}`,
        headers:
          call.json === undefined
            ? { accept: 'application/json' }
            : { accept: 'application/json', 'content-type': 'application/json' },
        body: call.json === undefined ? null : JSON.stringify(call.json),
        signal: call.signal ?? null,
      });
    } catch (e) {
      throw this.#networkError(call, label, e);
    }

    const { statusCode, headers, body } = response;
    if (statusCode < 200 || statusCode >= 300) {
      // Dump rather than read: an error page is not interesting, and dump keeps the socket usable.
      await body.dump().catch(() => undefined);
      const hint = statusCode === 404 ? ' (is the API base URL right?)' : '';
      throw new WechatError(`${label}: HTTP ${statusCode}${hint}`, {
        kind: statusCode >= 500 || statusCode === 408 ? 'transient' : statusCode === 429 ? 'rate' : 'fatal',
        api: call.api,
        httpStatus: statusCode,
      });
    }

    let text: string;
    try {
      text = await body.text();
    } catch (e) {
      throw this.#networkError(call, label, e);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      const type = headers['content-type'];
      const snippet = redactSecrets(text.slice(0, 60), this.#options.secrets()).replace(/\s+/g, ' ');
      throw new WechatError(
        `${label}: answer is not valid JSON (content-type ${String(type ?? 'none')}, ${text.length} characters: ${JSON.stringify(snippet)})`,
        { kind: 'transient', api: call.api, httpStatus: statusCode },
      );
    }
  }

  /** Closes its own pool once requests in flight are done (a shared pool stays open for its owner). */
  async close(): Promise<void> {
    if (this.#ownsPool) await this.#pool.close();
  }

  #networkError(call: HttpCall, label: string, e: unknown): unknown {
    // The caller gave up: that is not an upstream failure and must not be retried.
    if (call.signal?.aborted) return call.signal.reason;
    const secrets = [...this.#options.secrets()];
    const cause = sanitizeError(e, secrets);
    const code = (e as { code?: unknown }).code;
    const { connectMs, headersMs, bodyMs } = this.#options.timeouts;
    let what: string;
    switch (code) {
      case 'UND_ERR_CONNECT_TIMEOUT':
        what = `could not connect within ${connectMs} ms`;
        break;
      case 'UND_ERR_HEADERS_TIMEOUT':
        what = `no response within ${headersMs} ms`;
        break;
      case 'UND_ERR_BODY_TIMEOUT':
        what = `response body stalled for ${bodyMs} ms`;
        break;
      default:
        what = `request failed: ${typeof code === 'string' ? `${code} ` : ''}${cause.message}`;
    }
    return new WechatError(`${label}: ${what}`, { kind: 'transient', api: call.api, cause });
  }
}
