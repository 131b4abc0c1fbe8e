import { describe, expect, it } from 'vitest';
import { lockHeldMessage } from '../../src/cli/process-lock.js';

describe('lockHeldMessage', () => {
  it('names the holder, what it does to the file and since when, in CST', () => {
    // 2026-11-21 16:30:00 UTC is 2026-11-22 00:30:00 CST.
    const holder = {
      pid: 42,
      hostname: 'node-a',
      command: 'daemon',
      acquiredAt: 1_795_278_600,
      heartbeatAt: 1_795_278_600,
    };
    expect(lockHeldMessage(holder, 'has been exporting into /data/wxlog.db')).toBe(
      'another wxlog (daemon, pid 42 on node-a) has been exporting into /data/wxlog.db since 2026-11-22 00:30:00 CST; nothing done',
    );
    expect(lockHeldMessage(holder, 'holds /data/wxlog.db')).toBe(
      'another wxlog (daemon, pid 42 on node-a) holds /data/wxlog.db since 2026-11-22 00:30:00 CST; nothing done',
    );
  });
});
