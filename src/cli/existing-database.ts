import { existsSync } from 'node:fs';
import { openDatabase, type Database } from '../store/database.js';
import { UsageError } from './command.js';

/**
 * Opens the database of a command that only works on stored data (`status`, `query`, `search`,
 * `prune`): a missing file is a usage error naming the path, and is never created.
 */
export function openExistingDatabase(path: string, options: { readonly: boolean }): Database {
  if (!existsSync(path)) {
    throw new UsageError(`no database at ${path}; run \`wxlog run\` first, or point --db or WXLOG_DB at the file`);
  }
  try {
    return openDatabase(path, { readonly: options.readonly }).db;
  } catch (e: unknown) {
    // A newer schema, "file is not a database", permissions: one line, exit 2 like other setting mistakes.
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof Error && e.name === 'SchemaError') throw new UsageError(message, { cause: e });
    throw new UsageError(`cannot open ${path}: ${message}`, { cause: e });
  }
}
