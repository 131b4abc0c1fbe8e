import { describe, expect, it } from 'vitest';
import { PgStore } from '../../../src/store/postgres/pg-store.js';
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
});
