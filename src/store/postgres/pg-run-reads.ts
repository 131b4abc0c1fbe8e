import type pg from 'pg';
import type { AppLatestRun, RunRow } from '../run-history.js';
import { runState, type RunState } from '../run-state.js';
import type { RunWithState } from '../read-store.js';
import { distinctAppids } from '../stored-apps.js';

const COLUMNS = `r.id, r.command, r.appid, r.started_at AS "startedAt", r.finished_at AS "finishedAt",
  r.exit_code AS "exitCode", r.search_calls AS "searchCalls", r.entries_new AS "entriesNew", r.errors, r.message,
  r.worker`;

// A run not finished is running while its worker still holds the app's lease (docs/postgres.md, "Leases"),
// on the database's clock; otherwise it was interrupted (SIGKILL, a node lost) and its app is taken over. A
// worker runs an app once at a time, so a later run of the app by the same name means this one died: a
// container's restart keeps its host name and pid 1, and takes the app over under the same `host:pid`.
const LEASE_HELD = `CASE WHEN r.finished_at IS NULL THEN
    EXISTS (SELECT 1 FROM leases l WHERE l.appid = r.appid AND l.worker = r.worker AND l.expires_at > now())
    AND NOT EXISTS (SELECT 1 FROM runs n WHERE n.appid = r.appid AND n.worker = r.worker
                    AND n.started_at >= r.started_at AND n.id > r.id)
  ELSE false END AS "leaseHeld"`;

type Row = RunRow & { leaseHeld: boolean };

function withState(row: Row, nowSeconds: number): RunWithState {
  const { leaseHeld, ...run } = row;
  const state: RunState =
    run.finishedAt === null
      ? leaseHeld
        ? 'running'
        : 'interrupted'
      : runState(run, { holder: undefined }, nowSeconds);
  return { ...run, state };
}

/** The latest `limit` runs, newest first, of every app or of `appid`, with their states. */
export async function pgRecentRuns(
  db: pg.Pool,
  limit: number,
  appid: string | undefined,
  nowSeconds: number,
): Promise<RunWithState[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS}, ${LEASE_HELD} FROM runs r ${appid === undefined ? '' : 'WHERE r.appid = $2'}
     ORDER BY r.started_at DESC, r.id DESC LIMIT $1`,
    appid === undefined ? [limit] : [limit, appid],
  );
  return rows.map((r) => withState(r, nowSeconds));
}

/** The latest run of each of `appids` that has one, with its state, and how its latest finished one ended. */
export async function pgLatestRunPerApp(
  db: pg.Pool,
  appids: readonly string[],
  nowSeconds: number,
): Promise<(AppLatestRun & { latest: RunWithState })[]> {
  const { rows } = await db.query<
    Row & { forApp: string; fStartedAt: number | null; fExitCode: number | null; fMessage: string | null }
  >(
    `SELECT a.app AS "forApp", ${COLUMNS}, ${LEASE_HELD},
            f.started_at AS "fStartedAt", f.exit_code AS "fExitCode", f.message AS "fMessage"
     FROM unnest($1::text[]) AS a(app)
     CROSS JOIN LATERAL (SELECT * FROM runs WHERE appid = a.app ORDER BY started_at DESC, id DESC LIMIT 1) r
     LEFT JOIN LATERAL (SELECT * FROM runs WHERE appid = a.app AND finished_at IS NOT NULL
                        ORDER BY started_at DESC, id DESC LIMIT 1) f ON true`,
    [appids],
  );
  return rows.map(({ forApp, fStartedAt, fExitCode, fMessage, ...latest }) => ({
    appid: forApp,
    latest: withState(latest, nowSeconds),
    lastFinished: fStartedAt === null ? null : { startedAt: fStartedAt, exitCode: fExitCode, message: fMessage },
  }));
}

/** Every app the database holds, sorted: those of `apps`, and any with entries or windows but no pass. */
export async function pgStoredApps(db: pg.Pool): Promise<string[]> {
  const { rows } = await db.query<{ appid: string }>(
    `SELECT appid FROM (SELECT appid FROM apps UNION ${distinctAppids('windows')} UNION ${distinctAppids('log_entries')}) u
     WHERE appid IS NOT NULL AND appid <> '' ORDER BY appid COLLATE "C"`,
  );
  return rows.map((r) => r.appid);
}
