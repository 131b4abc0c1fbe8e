import type { SimulatedApp } from './simulated-app.js';
import { ERRORS } from './wechat-errors.js';

/**
 * The central token service (中控服务器) companies and third-party platforms run so that every service of
 * an app shares one access token instead of minting its own (docs/configuration.md, "Many apps"):
 * `GET /token-service/token?appid=APPID` answers `{access_token, expires_in}`, the app's current stable
 * token, the very one `stable_token` would hand out, so it stays valid for everyone. Its failures can be
 * played per app.
 */

/** The route the simulator serves the token service on. */
export const TOKEN_SERVICE_PATH = '/token-service/token';

/**
 * How the token service fails for one app: an error answer (HTTP 200, `{errcode, errmsg}`), HTTP 500, or
 * 'stale': it keeps answering a token the API refuses with 40001 (one it cached and that was since
 * invalidated), the same one each time, so a client that asks again gets the same bad token.
 */
export type TokenServiceFailure = { errcode: number; errmsg?: string } | 'http-500' | 'stale';

/** Validates one app's failure (also when it changes at run time); `name` is the option, for the message. */
export function tokenServiceFailureOption(name: string, value: unknown): TokenServiceFailure {
  if (value === 'http-500' || value === 'stale') return value;
  const expected = "'http-500', 'stale' or { errcode: a non-zero integer, errmsg?: a string }";
  const shown = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  const fail = (): never => {
    throw new RangeError(`Expected \`${name}\` to be ${expected}, got ${shown}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail();
  const { errcode, errmsg, ...rest } = value as Record<string, unknown>;
  if (typeof errcode !== 'number' || !Number.isInteger(errcode) || errcode === 0) return fail();
  if (errmsg !== undefined && typeof errmsg !== 'string') return fail();
  if (Object.keys(rest).length > 0) return fail();
  return errmsg === undefined ? { errcode } : { errcode, errmsg };
}

/** What the token service answers: JSON with HTTP 200, or a bare HTTP 500. */
export type TokenServiceAnswer = { status: 200; body: object } | { status: 500 };

const expiresIn = (ms: number): number => Math.max(1, Math.floor(ms / 1000));

/**
 * The answer for `appid` (null when the query has none): 41002 without one, 40013 for an app the
 * simulator does not serve, else the app's failure if one is set, else its current stable token.
 */
export function tokenServiceAnswer(
  appid: string | null,
  app: SimulatedApp | undefined,
  failure: TokenServiceFailure | undefined,
): TokenServiceAnswer {
  if (appid === null || appid === '') return { status: 200, body: ERRORS.missingAppid };
  if (!app) return { status: 200, body: ERRORS.invalidAppid };
  if (failure === 'http-500') return { status: 500 };
  if (typeof failure === 'object') {
    return { status: 200, body: { errcode: failure.errcode, errmsg: failure.errmsg ?? 'token service error' } };
  }
  const { token, expiresInMs } = failure === 'stale' ? app.tokens.stale() : app.tokens.stable(false);
  return { status: 200, body: { access_token: token, expires_in: expiresIn(expiresInMs) } };
}
