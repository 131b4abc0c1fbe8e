import { describe, expect, it } from 'vitest';
import type { LockHolder } from '../../src/store/run-lock.js';
import { LOCK_STALE_AFTER_SECONDS, runState, type RunFacts } from '../../src/store/run-state.js';

// A fixed instant: 2026-11-22 12:00:00 CST.
const NOW = Date.parse('2026-11-22T12:00:00+08:00') / 1000;

const unfinished: RunFacts = { startedAt: NOW - 600, finishedAt: null, exitCode: null, worker: 'node-a:4242' };

function lock(over: Partial<LockHolder> = {}): LockHolder {
  return { pid: 4242, hostname: 'node-a', command: 'daemon', acquiredAt: NOW - 601, heartbeatAt: NOW - 10, ...over };
}

describe('runState', () => {
  it('names a finished run by its exit code, whatever the lock says', () => {
    const finished = (exitCode: number): RunFacts => ({ ...unfinished, finishedAt: NOW - 5, exitCode });
    for (const l of [{ holder: undefined }, { holder: lock() }, { holder: lock(), holderAlive: false }]) {
      expect([0, 1, 2, 3, 4, 5].map((code) => runState(finished(code), l, NOW))).toEqual([
        'ok',
        'incomplete',
        'failed',
        'failed',
        'failed',
        'failed',
      ]);
    }
  });

  it('is running while its worker holds the lock it took before the run started, with a fresh heartbeat', () => {
    expect(runState(unfinished, { holder: lock() }, NOW)).toBe('running');
    // Taken in the same second the run started.
    expect(runState(unfinished, { holder: lock({ acquiredAt: NOW - 600 }) }, NOW)).toBe('running');
  });

  it('is interrupted once no process holds the lock (a SIGKILLed run left it, and the next run released it)', () => {
    expect(runState(unfinished, { holder: undefined }, NOW)).toBe('interrupted');
  });

  it('is interrupted when the lock names another worker: another host, or another pid of the same host', () => {
    expect(runState(unfinished, { holder: lock({ hostname: 'node-b' }) }, NOW)).toBe('interrupted');
    expect(runState(unfinished, { holder: lock({ pid: 4243 }) }, NOW)).toBe('interrupted');
    // A run recorded before migration 0006 has no host in its worker.
    expect(runState({ ...unfinished, worker: 'unknown:4242' }, { holder: lock() }, NOW)).toBe('interrupted');
    expect(runState({ ...unfinished, worker: null }, { holder: lock() }, NOW)).toBe('interrupted');
  });

  it('is interrupted when its host:pid holds a lock taken after the run started (a restarted pid 1)', () => {
    expect(runState(unfinished, { holder: lock({ acquiredAt: NOW - 30 }) }, NOW)).toBe('interrupted');
  });

  it('on the holder host, goes by whether the pid is alive, not by the heartbeat', () => {
    expect(runState(unfinished, { holder: lock(), holderAlive: false }, NOW)).toBe('interrupted');
    // Alive but stopped (SIGSTOP) for ten minutes: the lock is still its own, as RunLock judges it.
    expect(runState(unfinished, { holder: lock({ heartbeatAt: NOW - 600 }), holderAlive: true }, NOW)).toBe('running');
  });

  it('from another host, goes by the heartbeat: stale after 120 s', () => {
    expect(LOCK_STALE_AFTER_SECONDS).toBe(120);
    const at = (age: number) => runState(unfinished, { holder: lock({ heartbeatAt: NOW - age }) }, NOW);
    expect(at(120)).toBe('running');
    expect(at(121)).toBe('interrupted');
    expect(runState(unfinished, { holder: lock({ heartbeatAt: NOW - 50 }) }, NOW, 30)).toBe('interrupted');
  });
});
