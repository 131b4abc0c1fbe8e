import type { Database, Statement } from 'better-sqlite3';

/** Small facts learnt from the server and kept across runs (the page size that works, the deepest offset). */
export class StateStore {
  private readonly read: Statement;
  private readonly write: Statement;

  constructor(db: Database) {
    this.read = db.prepare('SELECT value FROM state WHERE key = ?');
    this.write = db.prepare(
      'INSERT INTO state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
    );
  }

  get(key: string): string | undefined {
    return (this.read.get(key) as { value: string } | undefined)?.value;
  }

  getNumber(key: string): number | undefined {
    const v = this.get(key);
    return v === undefined || !Number.isFinite(Number(v)) ? undefined : Number(v);
  }

  set(key: string, value: string | number, at: number): void {
    this.write.run(key, String(value), at);
  }
}
