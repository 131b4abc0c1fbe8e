/**
 * The clock every worker's rate budget counts by on PostgreSQL (docs/postgres.md, "Rate budget"): this
 * process's clock moved onto the database's. Each worker records its send times in the shared log by its own
 * clock, and another reads them by its own: a worker 30 s behind the others recorded sends that looked 30 s
 * old to them, and once it stopped, the next took a whole interval's calls at once. Measured at the start of
 * each pass, so the budget's clock follows the database's within a round trip.
 */
export async function sharedClock(
  databaseNow: () => Promise<number>,
  now: () => number,
  samples = 3,
): Promise<() => number> {
  let best: { rtt: number; offset: number } | undefined;
  for (let i = 0; i < samples; i++) {
    const before = now();
    const db = await databaseNow();
    const after = now();
    // The database read its clock somewhere in the round trip: its middle is the best guess, wrong by at
    // most half of it. The shortest of a few round trips is the closest.
    const rtt = after - before;
    if (best === undefined || rtt < best.rtt) best = { rtt, offset: db - (before + after) / 2 };
  }
  const offset = Math.round(best?.offset ?? 0);
  return () => now() + offset;
}
