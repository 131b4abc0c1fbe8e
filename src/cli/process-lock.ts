import { hostname } from 'node:os';
import type { Database } from '../store/database.js';
import { RunLock } from '../store/run-lock.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e: unknown) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The database's run lock as this process takes it. */
export function processLock(db: Database, command: string, now: () => number = Date.now): RunLock {
  return new RunLock(db, { pid: process.pid, hostname: hostname(), command, now, isAlive });
}
