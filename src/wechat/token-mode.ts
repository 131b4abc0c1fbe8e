/**
 * How the client gets its access token: `stable` (cgi-bin/stable_token), `classic` (cgi-bin/token),
 * `static` (a token supplied from outside), `url` (GET from a central token service) or `command` (printed
 * by a command). The settings schema validates against this list, and the token provider gives each mode
 * its meaning (docs/real-api.md, docs/configuration.md "Many apps").
 */
export const TOKEN_MODES = ['stable', 'classic', 'static', 'url', 'command'] as const;

/** One of {@link TOKEN_MODES}. */
export type TokenMode = (typeof TOKEN_MODES)[number];

/** The modes that exchange the AppSecret for a token at WeChat's token endpoints. */
export const SECRET_TOKEN_MODES: ReadonlySet<TokenMode> = new Set(['stable', 'classic']);
