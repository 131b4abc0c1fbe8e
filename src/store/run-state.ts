import { LOCK_STALE_AFTER_MS } from './run-lock.js';
import type { LockHolder } from './run-lock.js';

/**
 * What became of one run (one app's pass): `running` while the process that opened it still holds the
 * database's lock, `interrupted` when it never finished and no longer does (SIGKILL, OOM, a node lost),
 * else by its exit code: `ok` (0), `incomplete` (1, the next run continues), `failed` (anything else).
 */
export type RunState = 'running' | 'interrupted' | 'ok' | 'incomplete' | 'failed';

/** The facts of a `runs` row the rule needs. */
export interface RunFacts {
  startedAt: number;
  finishedAt: number | null;
  exitCode: number | null;
  /** `host:pid` of the process that ran it (docs/schema.md, `runs.worker`). */
  worker: string | null;
}

/** The database's lock as a reader sees it. */
export interface LockView {
  /** The `run_lock` row, if any. */
  holder: LockHolder | undefined;
  /**
   * Whether the holder's process is alive, when the reader is on the holder's host and could check; left
   * out for a holder on another host, whose heartbeat decides instead.
   */
  holderAlive?: boolean;
}

/** A holder on another host whose heartbeat is older than this is presumed dead (as `RunLock` presumes). */
export const LOCK_STALE_AFTER_SECONDS = LOCK_STALE_AFTER_MS / 1000;

/**
 * The state of `run` at `nowSeconds`. An unfinished run is `running` only while its worker holds the lock
 * under the rule `RunLock` itself takes a lock over by: the lock names the run's worker (`host:pid`), was
 * taken before the run started (a later one is another incarnation of the same pid, a restarted
 * container's pid 1), and the holder is alive: on this host by its pid, elsewhere by a heartbeat newer than
 * `staleAfterSeconds`. So a run shows `interrupted` exactly when the next export would take the lock over.
 */
export function runState(
  run: RunFacts,
  lock: LockView,
  nowSeconds: number,
  staleAfterSeconds = LOCK_STALE_AFTER_SECONDS,
): RunState {
  if (run.finishedAt !== null) {
    if (run.exitCode === 0) return 'ok';
    return run.exitCode === 1 ? 'incomplete' : 'failed';
  }
  const h = lock.holder;
  if (h === undefined || `${h.hostname}:${h.pid}` !== run.worker || h.acquiredAt > run.startedAt) return 'interrupted';
  const alive = lock.holderAlive ?? nowSeconds - h.heartbeatAt <= staleAfterSeconds;
  return alive ? 'running' : 'interrupted';
}
