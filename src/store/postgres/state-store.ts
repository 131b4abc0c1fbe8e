import type pg from 'pg';
import { writeFenced, type AppFence } from './fence.js';

/**
 * Small facts learnt from the server and kept across runs: src/store/state-store.ts, asynchronous. With
 * `fence` (a store from PgStore.fencedBy), `set` is fenced by that app's lease, in its one statement.
 */
export class PgStateStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly fence?: AppFence,
  ) {}

  async get(key: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ value: string }>({
      name: 'wxlog_state_get',
      text: 'SELECT value FROM state WHERE key = $1',
      values: [key],
    });
    return rows[0]?.value;
  }

  async getNumber(key: string): Promise<number | undefined> {
    const v = await this.get(key);
    return v === undefined || !Number.isFinite(Number(v)) ? undefined : Number(v);
  }

  async set(key: string, value: string | number, at: number): Promise<void> {
    await writeFenced(
      this.pool,
      this.fence,
      (held) =>
        `INSERT INTO state (key, value, updated_at) SELECT $1::text, $2::text, $3::bigint WHERE ${held}
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [key, String(value), at],
    );
  }
}
