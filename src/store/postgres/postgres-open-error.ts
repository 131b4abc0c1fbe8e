import { DatabaseOpenError } from '../database-open-error.js';

/**
 * A PostgreSQL database that cannot be reached or opened (a refused connection, a bad password, a database
 * that does not exist): a setting to fix, as a SQLite file that cannot be opened is, so the CLI prints the
 * one line and exits 2. The URL in the message has its password masked.
 */
export class PostgresOpenError extends DatabaseOpenError {
  override name = 'PostgresOpenError';

  constructor(redactedUrl: string, detail: string, options?: ErrorOptions) {
    super(redactedUrl, 'unopenable', undefined, options);
    // DatabaseOpenError's words are SQLite's; PostgreSQL's own say more.
    this.message = `cannot open ${redactedUrl}: ${detail}`;
  }
}
