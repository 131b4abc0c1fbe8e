import type pg from 'pg';
import { LeaseLostError } from './lease-lost-error.js';

/** A worker's hold on one app: valid while the row's epoch is still `epoch` (docs/postgres.md, "Leases and fencing"). */
export interface Lease {
  appid: string;
  worker: string;
  epoch: number;
  /** Unix milliseconds, on the database's clock. */
  expiresAt: number;
}

// A released lease has no expiry (NULL): 0 then.
const leaseColumns = (t: string): string =>
  `${t}.appid, ${t}.worker, ${t}.epoch, coalesce((extract(epoch FROM ${t}.expires_at) * 1000)::bigint, 0) AS "expiresAt"`;

/**
 * Which worker exports which app. A lease is taken when the app's row is free or expired, with
 * `FOR UPDATE SKIP LOCKED` as job queues take jobs (graphile-worker's get_job, pg-boss's fetch): workers
 * taking at once never wait for each other and never take the same app. Each taking adds one to the
 * epoch, which fences the previous holder's writes (./fence.ts). Expiry is on the database's clock, the
 * only clock all workers share.
 */
export class Leases {
  constructor(private readonly pool: pg.Pool) {}

  /** Now on the database's clock (unix milliseconds): the clock leases expire by, and `tryLease` compares with. */
  async now(): Promise<number> {
    const { rows } = await this.pool.query<{ now: number }>(
      'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now',
    );
    return rows[0]?.now ?? Date.now();
  }

  /**
   * Takes, for `worker`, every app of `appids` whose lease is free or expired and that no other worker is
   * taking at this instant, for `ttlMs`. Returns the leases taken (apps already held by anyone, this
   * worker included, are left: renew those). With `doneSince` (unix ms on the database's clock, from
   * {@link now}), an app whose lease was taken at or after it and released since is left too: another
   * worker exported it during this pass. One whose holder stopped renewing (expired, not released) is taken
   * over at once.
   */
  async tryLease(
    worker: string,
    appids: readonly string[],
    ttlMs: number,
    options: { doneSince?: number } = {},
  ): Promise<Lease[]> {
    checkTtl(ttlMs);
    if (appids.length === 0) return [];
    await this.pool.query('INSERT INTO leases (appid) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING', [appids]);
    const { rows } = await this.pool.query<Lease>(
      `WITH free AS (
         SELECT appid FROM leases
         WHERE appid = ANY($2::text[])
           AND ((worker IS NULL AND ($4::bigint IS NULL OR taken_at IS NULL
                                     OR taken_at < to_timestamp($4::bigint / 1000.0)))
                OR expires_at <= clock_timestamp())
         ORDER BY appid
         FOR UPDATE SKIP LOCKED
       )
       UPDATE leases l SET worker = $1, epoch = l.epoch + 1, taken_at = clock_timestamp(),
         expires_at = clock_timestamp() + $3 * interval '1 millisecond'
       FROM free WHERE l.appid = free.appid
       RETURNING ${leaseColumns('l')}`,
      [worker, appids, ttlMs, options.doneSince ?? null],
    );
    return rows.sort((a, b) => a.appid.localeCompare(b.appid));
  }

  /**
   * Extends `lease` by `ttlMs` from now. Returns the renewed lease, or throws LeaseLostError when another
   * worker has taken the app since (a lease that expired but that nobody took is renewed: its epoch still
   * fences every other writer out).
   */
  async renew(lease: Lease, ttlMs: number): Promise<Lease> {
    checkTtl(ttlMs);
    const { rows } = await this.pool.query<Lease>(
      `UPDATE leases SET expires_at = clock_timestamp() + $4 * interval '1 millisecond'
       WHERE appid = $1 AND worker = $2 AND epoch = $3
       RETURNING ${leaseColumns('leases')}`,
      [lease.appid, lease.worker, lease.epoch, ttlMs],
    );
    const row = rows[0];
    if (!row) throw new LeaseLostError(lease.appid, lease.worker, lease.epoch);
    return row;
  }

  /** Gives the app up at once (the next tryLease of any worker takes it). False if it was no longer ours. */
  async release(lease: Lease): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE leases SET worker = NULL, expires_at = NULL WHERE appid = $1 AND worker = $2 AND epoch = $3`,
      [lease.appid, lease.worker, lease.epoch],
    );
    return result.rowCount === 1;
  }

  /** Every app's lease row, by AppID: who holds what, for status and tests. */
  async list(): Promise<Lease[]> {
    const { rows } = await this.pool.query<Lease>(`SELECT ${leaseColumns('leases')} FROM leases ORDER BY appid`);
    return rows;
  }
}

function checkTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0)
    throw new RangeError(`Expected \`ttlMs\` to be a finite number > 0, got ${ttlMs}`);
}
