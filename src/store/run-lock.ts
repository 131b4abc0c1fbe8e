import type { Database } from 'better-sqlite3';

/** Who holds the database's run lock. */
export interface LockHolder {
  pid: number;
  hostname: string;
  command: string;
  acquiredAt: number;
  heartbeatAt: number;
}

export interface RunLockOptions {
  pid: number;
  hostname: string;
  command: string;
  /** Unix milliseconds. */
  now: () => number;
  /** Whether a process of this host is alive (`process.kill(pid, 0)`), injected for tests. */
  isAlive: (pid: number) => boolean;
  /** A holder on another host whose heartbeat is older than this is presumed dead. */
  staleAfterMs?: number;
}

export type LockAttempt = { acquired: true } | { acquired: false; holder: LockHolder };

/**
 * One writer per database: a row in `run_lock` names the process exporting into it. A row left by a
 * process that died (SIGKILL, OOM, a node drained) does not block the next run: on the same host a dead
 * pid frees it at once, elsewhere a heartbeat older than `staleAfterMs` does.
 */
/** A holder on another host whose heartbeat is older than this is presumed dead (RunLockOptions.staleAfterMs). */
export const LOCK_STALE_AFTER_MS = 120_000;

/** Who holds the database's lock, if anyone (the row may be a dead process's: see RunLock). */
export function lockHolder(db: Database): LockHolder | undefined {
  return db
    .prepare(
      'SELECT pid, hostname, command, acquired_at AS acquiredAt, heartbeat_at AS heartbeatAt FROM run_lock WHERE id = 1',
    )
    .get() as LockHolder | undefined;
}

export class RunLock {
  private held = false;

  constructor(
    private readonly db: Database,
    private readonly o: RunLockOptions,
  ) {}

  private holder(): LockHolder | undefined {
    return lockHolder(this.db);
  }

  private isStale(h: LockHolder, nowSeconds: number): boolean {
    if (h.hostname === this.o.hostname) {
      // Our own pid can only be in the row if an earlier incarnation (a restarted container is pid 1 again) left it.
      return h.pid === this.o.pid || !this.o.isAlive(h.pid);
    }
    return (nowSeconds - h.heartbeatAt) * 1000 > (this.o.staleAfterMs ?? LOCK_STALE_AFTER_MS);
  }

  tryAcquire(): LockAttempt {
    const attempt = this.db
      .transaction((): LockAttempt => {
        const now = Math.floor(this.o.now() / 1000);
        const h = this.holder();
        if (h && !this.isStale(h, now)) return { acquired: false, holder: h };
        this.db
          .prepare(
            `INSERT INTO run_lock (id, pid, hostname, command, acquired_at, heartbeat_at) VALUES (1, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, hostname = excluded.hostname, command = excluded.command,
             acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at`,
          )
          .run(this.o.pid, this.o.hostname, this.o.command, now, now);
        return { acquired: true };
      })
      .immediate();
    this.held = attempt.acquired;
    return attempt;
  }

  /** Tells other hosts the holder is alive. */
  heartbeat(): void {
    if (!this.held) return;
    this.db
      .prepare('UPDATE run_lock SET heartbeat_at = ? WHERE id = 1 AND pid = ? AND hostname = ?')
      .run(Math.floor(this.o.now() / 1000), this.o.pid, this.o.hostname);
  }

  release(): void {
    if (!this.held || !this.db.open) return;
    this.db.prepare('DELETE FROM run_lock WHERE id = 1 AND pid = ? AND hostname = ?').run(this.o.pid, this.o.hostname);
    this.held = false;
  }
}
