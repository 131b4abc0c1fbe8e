import { resolve } from 'node:path';
import { ConfigError } from './config-error.js';

// Any `scheme://`: RFC 3986's scheme grammar. A SQLite path never starts like that in practice, and reading
// one as a path would create a file named after the URL, its password included.
const URL_SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

const POSTGRES_SCHEMES = new Set(['postgres', 'postgresql']);

/**
 * The `db` setting resolved: a `postgres://` or `postgresql://` URL is kept as written (it selects
 * PostgreSQL, docs/postgres.md); a path is made absolute against `cwd` (SQLite). Any other URL scheme
 * (`mysql://`, `sqlite://`, `file://`, …) is refused with a {@link ConfigError} naming `setting` (`where` is
 * how the message names it) and only the scheme, so that a password in the URL is never echoed.
 */
export function resolveDatabaseSetting(value: string, cwd: string, setting: string, where: string): string {
  const scheme = URL_SCHEME.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) return resolve(cwd, value);
  if (POSTGRES_SCHEMES.has(scheme)) return value;
  const hint =
    scheme === 'sqlite' || scheme === 'file'
      ? 'a SQLite database is given as a file path (./data/wxlog.db), not as a URL'
      : 'wxlog stores into SQLite (a file path) or PostgreSQL (a postgres:// or postgresql:// URL)';
  throw new ConfigError(setting, `${where}: ${scheme}:// URLs are not supported; ${hint}`);
}
