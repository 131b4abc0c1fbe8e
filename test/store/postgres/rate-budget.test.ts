import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { PgStore } from '../../../src/store/postgres/pg-store.js';
import { createTestDatabase } from '../../helpers/postgres-server.js';
import { freshAppid, postgresTestDatabase } from './engines.js';

describe('postgres rate budget', () => {
  it('never lets 4 concurrent clients of one app exceed the limit in any sliding span', async () => {
    const clients = await Promise.all([1, 2, 3, 4].map(async () => PgStore.open(await postgresTestDatabase())));
    try {
      const appid = freshAppid();
      const limit = 5;
      const spanMs = 1_000;
      // A shared fake clock that only moves forward, so the run is fast and the span is exact.
      let clock = 1_000_000;
      const taken: number[] = [];
      const work = async (store: PgStore) => {
        for (let i = 0; i < 40; i++) {
          clock += 13;
          const now = clock;
          const wait = await store.requests.tryTake(appid, now, limit, spanMs);
          if (wait === 0) taken.push(now);
          else expect(wait).toBeGreaterThan(0);
        }
      };
      await Promise.all(clients.map(work));
      const recorded = await clients[0]!.requests.since(appid, 0);
      expect(recorded).toEqual([...taken].sort((a, b) => a - b));
      expect(recorded.length).toBeGreaterThan(limit);
      // Every span of spanMs holds at most `limit` sends.
      for (const [i, at] of recorded.entries()) {
        const inSpan = recorded.filter((t) => t > at - spanMs && t <= at);
        expect(inSpan.length, `sends in the span ending at ${at} (#${i})`).toBeLessThanOrEqual(limit);
      }
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it('holds under a database whose default isolation is REPEATABLE READ: workers migrate at once, one slot is one take', async () => {
    const url = await createTestDatabase(inject('postgresUrl'), 'wxlog_budget_rr');
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(
        `ALTER DATABASE ${new URL(url).pathname.slice(1)} SET default_transaction_isolation = 'repeatable read'`,
      );
    } finally {
      await admin.end();
    }
    // Opened together: their migrations wait for one another's advisory lock, then read the history again.
    const stores = await Promise.all([1, 2, 3, 4, 5, 6].map(() => PgStore.open(url)));
    try {
      for (let round = 0; round < 20; round++) {
        const appid = freshAppid();
        await stores[0]!.requests.tryTake(appid, 0, 1, 1);
        // Six takers of the one slot at once: each must see the slot another took while it waited for the lock.
        const waits = await Promise.all(stores.map((s) => s.requests.tryTake(appid, 1_000_000, 1, 1_000)));
        expect(
          waits.filter((w) => w === 0),
          `round ${round}`,
        ).toHaveLength(1);
        expect(await stores[0]!.requests.since(appid, 1)).toEqual([1_000_000]);
      }
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
    // The URL's own startup options still apply, beside wxlog's.
    const withOptions = new URL(url);
    withOptions.searchParams.set('options', '-c statement_timeout=12345');
    const store = await PgStore.open(withOptions.toString());
    try {
      const { rows } = await store.pool.query<{ iso: string; timeout: string }>(
        "SELECT current_setting('transaction_isolation') AS iso, current_setting('statement_timeout') AS timeout",
      );
      expect(rows).toEqual([{ iso: 'read committed', timeout: '12345ms' }]);
    } finally {
      await store.close();
    }
  });
});
