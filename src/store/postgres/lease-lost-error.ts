/**
 * A write refused because the worker's lease on the app has moved on (another worker took it over, its
 * epoch grew): the worker must stop exporting that app. Nothing of the refused write was stored
 * (docs/postgres.md, "Leases and fencing").
 */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';

  constructor(
    readonly appid: string,
    readonly worker: string,
    readonly epoch: number,
  ) {
    super(`the lease on ${appid} held by ${worker} at epoch ${epoch} was lost: another worker exports it now`);
  }
}
