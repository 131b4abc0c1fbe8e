// What a WXLOG_DB value says about its engine, without loading any engine's driver: every command asks it at
// start-up (docs/postgres.md).

// Query parameters of a PostgreSQL URL that hold a secret: node-postgres reads a password from the query
// as well as from the user info, and sslpassword unlocks the client key.
const SECRET_PARAMS = ['password', 'sslpassword'];

/**
 * A PostgreSQL URL (`postgres://` or `postgresql://`) with its password masked: `postgres://wxlog:***@host/db`,
 * also where the query holds it (`?password=…`, `?sslpassword=…`).
 */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    for (const key of SECRET_PARAMS) if (u.searchParams.has(key)) u.searchParams.set(key, '***');
    return u.toString();
  } catch {
    // Not a URL the parser understands: mask whatever sits between "user:" and "@", and the secret parameters.
    return url
      .replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@')
      .replace(new RegExp(`([?&](?:${SECRET_PARAMS.join('|')})=)[^&#]*`, 'gi'), '$1***');
  }
}

/** The secrets `url` holds, decoded as the driver uses them: what no message may repeat. */
function databaseUrlSecrets(url: string): string[] {
  try {
    const u = new URL(url);
    const secrets = [decodeURIComponent(u.password), ...SECRET_PARAMS.flatMap((key) => u.searchParams.getAll(key))];
    return secrets.filter((s) => s !== '');
  } catch {
    return [];
  }
}

/**
 * Masks `url` and every secret it holds wherever a message might repeat them (the driver's should not; this
 * makes sure): the URL as {@link redactDatabaseUrl} shows it, each secret as `***`.
 */
export function databaseSecretsMask(url: string): (text: string) => string {
  // Not parsable: no secrets found, and redactDatabaseUrl masks what it can.
  const secrets = databaseUrlSecrets(url);
  const shown = redactDatabaseUrl(url);
  return (text) => {
    let masked = text.split(url).join(shown);
    for (const secret of secrets) masked = masked.split(secret).join('***');
    return masked;
  };
}

/** True for a `postgres://` or `postgresql://` URL: what selects the PostgreSQL store (docs/postgres.md). */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(value);
}
