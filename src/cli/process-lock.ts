import { hostname } from 'node:os';
import type { Database } from '../store/database.js';
import { RunLock, type LockHolder } from '../store/run-lock.js';
import { formatCst } from '../wechat/cst-day.js';

/** Whether a process of this host is alive (signal 0 checks without disturbing it). */
export function isAlive(pid: number): boolean {
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

/**
 * Why a command did nothing while `holder` has the lock: `another wxlog (run, pid 42 on host) <doing> since
 * 2026-11-22 00:30:00 CST; nothing done`. `doing` says what the holder does to the file: an export says
 * "has been exporting into <db>", prune "holds <db>".
 */
export function lockHeldMessage(holder: LockHolder, doing: string): string {
  const who = `another wxlog (${holder.command}, pid ${holder.pid} on ${holder.hostname})`;
  return `${who} ${doing} since ${formatCst(holder.acquiredAt)} CST; nothing done`;
}
