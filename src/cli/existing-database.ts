import { existsSync } from 'node:fs';
import { openDatabase, type Database } from '../store/database.js';
import { UsageError } from './command.js';

/**
 * Opens the database of a command that only works on stored data (`status`, `query`, `search`,
 * `prune`): a missing file is a usage error naming the path, and is never created. A file that cannot
 * be opened throws `DatabaseOpenError`, a newer schema `SchemaError`: main turns both into exit 2.
 */
export function openExistingDatabase(path: string, options: { readonly: boolean }): Database {
  if (!existsSync(path)) {
    throw new UsageError(`no database at ${path}; run \`wxlog run\` first, or point --db or WXLOG_DB at the file`);
  }
  return openDatabase(path, { readonly: options.readonly }).db;
}
