// What a WXLOG_DB value says about its engine, without loading any engine's driver: every command asks it at
// start-up (docs/postgres.md).

/** A PostgreSQL URL (`postgres://` or `postgresql://`) with its password masked: `postgres://wxlog:***@host/db`. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    // Not a URL the parser understands: mask whatever sits between "user:" and "@".
    return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
  }
}

/** True for a `postgres://` or `postgresql://` URL: what selects the PostgreSQL store (docs/postgres.md). */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(value);
}
