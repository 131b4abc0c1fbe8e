/**
 * Upstream errors are data: every failure of a WeChat call becomes one `WechatError` whose `kind`
 * tells the caller what to do (docs/real-api.md), so no caller inspects errcodes or undici errors itself.
 */

export type WechatErrorKind = 'token' | 'rate' | 'transient' | 'quota' | 'fatal' | 'params';

/** Which endpoint failed: userlog_search, get_scene, getApiQuota (openapi/quota/get), or a token endpoint. */
export type WechatApi = 'search' | 'scenes' | 'quota' | 'token';

export interface WechatErrorOptions {
  kind: WechatErrorKind;
  api: WechatApi;
  errcode?: number | undefined;
  httpStatus?: number | undefined;
  /** Must already be sanitized: no token or secret anywhere in its chain. */
  cause?: unknown;
}

/** A failed WeChat call. The message is one line and never contains a token or secret. */
export class WechatError extends Error {
  override name = 'WechatError';
  readonly kind: WechatErrorKind;
  readonly api: WechatApi;
  readonly errcode?: number;
  readonly httpStatus?: number;

  constructor(message: string, options: WechatErrorOptions) {
    super(oneLine(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = options.kind;
    this.api = options.api;
    if (options.errcode !== undefined) this.errcode = options.errcode;
    if (options.httpStatus !== undefined) this.httpStatus = options.httpStatus;
  }
}

// The one table of errcodes (docs/real-api.md). Anything not listed is fatal: an errcode we do not know is
// not one we can safely retry into.
const KIND_BY_ERRCODE: ReadonlyMap<number, WechatErrorKind> = new Map<number, WechatErrorKind>([
  [40001, 'token'],
  [40014, 'token'],
  [42001, 'token'],
  [200010, 'rate'],
  [45011, 'rate'],
  [-1, 'transient'],
  [45009, 'quota'],
  [200002, 'params'],
  [200007, 'fatal'],
  [40013, 'fatal'],
  [40125, 'fatal'],
  [41002, 'fatal'],
  [41004, 'fatal'],
  [61003, 'fatal'],
  [61007, 'fatal'],
  // getApiQuota's own refusals, and an API the app may not call: asking again changes nothing.
  [48001, 'fatal'],
  [76021, 'fatal'],
  [76022, 'fatal'],
]);

/** What an errcode from an API answer means for the caller. Unknown errcodes are fatal. */
export function classifyErrcode(errcode: number): WechatErrorKind {
  return KIND_BY_ERRCODE.get(errcode) ?? 'fatal';
}

/** Narrows anything thrown to an `Error`, keeping real errors as they are. */
export function coerceError(e: unknown): Error {
  if (e instanceof Error) return e;
  if (typeof e === 'string') return new Error(e);
  let text: string;
  try {
    text = JSON.stringify(e) ?? String(e);
  } catch {
    text = String(e);
  }
  return new Error(`Non-error thrown: ${text}`);
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
