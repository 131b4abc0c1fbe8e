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

/** What one errcode means: the kind callers branch on, and the words a message gives it. */
export interface ErrcodeMeaning {
  kind: WechatErrorKind;
  /** Short, lower case, fits "userlog_search: <meaning>: errcode N". */
  meaning: string;
  /** The AppID or AppSecret is wrong or missing: a token endpoint names this meaning in its message. */
  credentials?: true;
}

// The one table of errcodes (docs/real-api.md). Anything not listed is fatal: an errcode we do not know is
// not one we can safely retry into.
const ERRCODES: ReadonlyMap<number, ErrcodeMeaning> = new Map<number, ErrcodeMeaning>([
  [40001, { kind: 'token', meaning: 'access token rejected' }],
  [40014, { kind: 'token', meaning: 'access token rejected' }],
  [42001, { kind: 'token', meaning: 'access token rejected' }],
  [200010, { kind: 'rate', meaning: 'rate limited' }],
  [45011, { kind: 'rate', meaning: 'rate limited' }],
  [-1, { kind: 'transient', meaning: 'WeChat system busy' }],
  [45009, { kind: 'quota', meaning: 'daily API quota reached' }],
  [200002, { kind: 'params', meaning: 'parameters refused' }],
  [200007, { kind: 'fatal', meaning: 'no permission to read realtime logs' }],
  [40002, { kind: 'fatal', meaning: 'invalid grant_type', credentials: true }],
  [40013, { kind: 'fatal', meaning: 'invalid AppID', credentials: true }],
  [40125, { kind: 'fatal', meaning: 'invalid AppSecret', credentials: true }],
  [41002, { kind: 'fatal', meaning: 'AppID missing', credentials: true }],
  [41004, { kind: 'fatal', meaning: 'AppSecret missing', credentials: true }],
  [61003, { kind: 'fatal', meaning: 'the third-party platform is not authorized by this app' }],
  [61007, { kind: 'fatal', meaning: 'the third-party platform is not authorized for this API' }],
  // getApiQuota's own refusals, and an API the app may not call: asking again changes nothing.
  [48001, { kind: 'fatal', meaning: 'this app is not authorized to call the API' }],
  [76021, { kind: 'fatal', meaning: 'cgi_path not found' }],
  [76022, { kind: 'fatal', meaning: 'cgi_path not allowed with this access token' }],
]);

/** The table's entry for `errcode`, or undefined for an errcode it does not list (fatal, "refused"). */
export function errcodeInfo(errcode: number): ErrcodeMeaning | undefined {
  return ERRCODES.get(errcode);
}

/** What an errcode from an API answer means for the caller. Unknown errcodes are fatal. */
export function classifyErrcode(errcode: number): WechatErrorKind {
  return ERRCODES.get(errcode)?.kind ?? 'fatal';
}

/** The words for `errcode` in a message: the table's meaning, or "refused" for an errcode it does not list. */
export function errcodeMeaning(errcode: number): string {
  return ERRCODES.get(errcode)?.meaning ?? 'refused';
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
