import { hostname } from 'node:os';
import { DatabaseUnavailableError, openReadStore, type ReadStore } from '../store/read-store.js';
import { UsageError } from './command.js';
import { isAlive } from './process-lock.js';

/**
 * Opens the database of a command that only works on stored data (`status`, `query`, `search`, `prune`),
 * SQLite or PostgreSQL as the `db` setting says; never creates it. A missing file or an unreachable server is
 * a usage error (exit 2) whose message names the database with its password masked.
 */
export async function openCommandStore(db: string, options: { writable?: boolean } = {}): Promise<ReadStore> {
  try {
    return await openReadStore(db, {
      ...options,
      process: { pid: process.pid, hostname: hostname(), isAlive, now: Date.now },
    });
  } catch (e: unknown) {
    if (e instanceof DatabaseUnavailableError) throw new UsageError(e.message, { cause: e });
    throw e;
  }
}
