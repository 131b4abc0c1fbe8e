import type pg from 'pg';

/** Small facts learnt from the server and kept across runs: src/store/state-store.ts, asynchronous. */
export class PgStateStore {
  constructor(private readonly pool: pg.Pool) {}

  async get(key: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ value: string }>('SELECT value FROM state WHERE key = $1', [key]);
    return rows[0]?.value;
  }

  async getNumber(key: string): Promise<number | undefined> {
    const v = await this.get(key);
    return v === undefined || !Number.isFinite(Number(v)) ? undefined : Number(v);
  }

  async set(key: string, value: string | number, at: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO state (key, value, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [key, String(value), at],
    );
  }
}
