import { randomBytes } from 'node:crypto';

/** How an API call's `access_token` fared. */
export type TokenCheck = 'ok' | 'missing' | 'invalid' | 'expired';

interface TokenState {
  expiresAt: number;
  /** Set when a newer token replaced this one: from then on it answers 40001, not 42001. */
  invalidAt: number;
  uses: number;
}

export interface TokenRegistryOptions {
  ttlMs: number;
  maxUses: number;
  classicOverlapMs: number;
  /** Real time in ms (monotonic); token lifetimes never follow the simulator's calendar clock. */
  clock: () => number;
  /** Told of every token issued and every token forgotten: the simulator's index of which app owns a token. */
  owners?: { issued(token: string): void; dropped(token: string): void };
}

/**
 * Access tokens of one app, with WeChat's two ways to get them: `stable_token`, which hands out the
 * same token while it is valid, and the classic `cgi-bin/token`, which replaces its previous token
 * after a short overlap. The two families do not affect each other.
 */
export class TokenRegistry {
  readonly #options: TokenRegistryOptions;
  readonly #tokens = new Map<string, TokenState>();
  #stable: string | undefined;
  #classic: string | undefined;
  #staleToken: string | undefined;
  #serial = 0;

  constructor(options: TokenRegistryOptions) {
    this.#options = options;
  }

  /** `stable_token`: the current stable token while it is usable, else (or when forced) a new one. */
  stable(forceRefresh: boolean): { token: string; expiresInMs: number } {
    const now = this.#options.clock();
    const current = this.#stable === undefined ? undefined : this.#tokens.get(this.#stable);
    if (!forceRefresh && this.#stable !== undefined && current && this.#usable(current, now)) {
      return { token: this.#stable, expiresInMs: current.expiresAt - now };
    }
    if (current) current.invalidAt = Math.min(current.invalidAt, now);
    this.#stable = this.#issue(now);
    return { token: this.#stable, expiresInMs: this.#options.ttlMs };
  }

  /** `cgi-bin/token`: always a new token; the previous classic one lives `classicOverlapMs` more. */
  classic(): { token: string; expiresInMs: number } {
    const now = this.#options.clock();
    const previous = this.#classic === undefined ? undefined : this.#tokens.get(this.#classic);
    if (previous) previous.invalidAt = Math.min(previous.invalidAt, now + this.#options.classicOverlapMs);
    this.#classic = this.#issue(now);
    return { token: this.#classic, expiresInMs: this.#options.ttlMs };
  }

  /**
   * A token that was once this app's and is no longer valid (40001), always the same one: what a central
   * token service that cached an invalidated token keeps handing out.
   */
  stale(): { token: string; expiresInMs: number } {
    const now = this.#options.clock();
    const known = this.#staleToken === undefined ? undefined : this.#tokens.get(this.#staleToken);
    if (this.#staleToken === undefined || !known) {
      this.#staleToken = this.#issue(now);
      const state = this.#tokens.get(this.#staleToken);
      if (state) state.invalidAt = now;
    }
    return { token: this.#staleToken, expiresInMs: this.#options.ttlMs };
  }

  /** Checks the token of one API call, counting the call against `maxUses`. */
  use(token: string | undefined): TokenCheck {
    if (token === undefined || token === '') return 'missing';
    const state = this.#tokens.get(token);
    const now = this.#options.clock();
    if (!state || now >= state.invalidAt) return 'invalid';
    state.uses += 1;
    if (now >= state.expiresAt || state.uses > this.#options.maxUses) return 'expired';
    return 'ok';
  }

  /** Makes every token answer 42001 from now on. */
  expireAll(): void {
    const now = this.#options.clock();
    for (const state of this.#tokens.values()) state.expiresAt = Math.min(state.expiresAt, now);
  }

  #usable(state: TokenState, now: number): boolean {
    return now < state.invalidAt && now < state.expiresAt && state.uses < this.#options.maxUses;
  }

  #issue(now: number): string {
    // Dead tokens only matter for telling 40001 from 42001; a long-running simulator drops old ones.
    if (this.#tokens.size > 10_000) {
      for (const [token, state] of this.#tokens) {
        if (now >= state.invalidAt || now >= state.expiresAt + 86_400_000) {
          this.#tokens.delete(token);
          this.#options.owners?.dropped(token);
        }
      }
    }
    this.#serial += 1;
    // Real tokens look like `86_` followed by ~130 URL-safe characters; random so that nothing can guess one.
    const token = `${80 + (this.#serial % 20)}_${randomBytes(72).toString('base64url')}`;
    this.#tokens.set(token, { expiresAt: now + this.#options.ttlMs, invalidAt: Infinity, uses: 0 });
    this.#options.owners?.issued(token);
    return token;
  }
}
