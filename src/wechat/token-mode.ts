/**
 * How the client gets its access token: `stable` (cgi-bin/stable_token), `classic` (cgi-bin/token) or
 * `static` (a token supplied from outside). The settings schema validates against this list, and the
 * token provider gives each mode its meaning (docs/real-api.md).
 */
export const TOKEN_MODES = ['stable', 'classic', 'static'] as const;

/** One of {@link TOKEN_MODES}. */
export type TokenMode = (typeof TOKEN_MODES)[number];
