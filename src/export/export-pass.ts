import { setMaxListeners } from 'node:events';
import PQueue from 'p-queue';
import type { ExportEvents } from '../events/export-events.js';
import type { Logger } from '../log/logger.js';
import type { AppConfig } from '../config/app-config.js';
import { coerceError } from '../errors/coerce-error.js';
import { LeaseLostError } from '../store/async-store.js';
import { openStore } from '../store/open-store.js';
import type { Lease } from '../store/postgres/leases.js';
import { PgStore } from '../store/postgres/pg-store.js';
import { RunLock, type LockHolder } from '../store/run-lock.js';
import type { AsyncSqliteStore } from '../store/sqlite/async-sqlite-store.js';
import { DEFAULT_HTTP_TIMEOUTS, sharedHttpPool } from '../wechat/http-transport.js';
import type { WechatClientOptions } from '../wechat/wechat-client.js';
import { exportApp, type AppExportContext, type AppLease, type AppOutcome } from './app-export.js';
import { ExitCode } from './exit-code.js';
import { forgetOldSendTimes } from './rate-budget.js';
import { sharedClock } from './shared-clock.js';
import { DAYS_AT_ONCE, type DayOutcome, type ExportApi, type ExportResult } from './run-export.js';

/** The process a pass runs in: it names the process in `runs.worker` and in the database's lock. */
export interface WorkerIdentity {
  pid: number;
  hostname: string;
  /** Whether a process of this host is alive (a lock left by a dead one is free). */
  isAlive: (pid: number) => boolean;
}

export interface PassOptions {
  /** The database: a SQLite file's absolute path, or a PostgreSQL URL (src/store/open-store.ts). */
  db: string;
  apiBase: string;
  rateIntervalMs: number;
  /** Apps exported at the same time (WXLOG_CONCURRENCY). */
  concurrency: number;
  /** The apps of this pass, resolved (config/load-config.ts, loadApps), in the order given. */
  apps: readonly AppConfig[];
  /** `run`, `daemon` or `demo`: recorded in `runs` and in the lock. */
  command: string;
  worker: WorkerIdentity;
  logger: Logger;
  signal?: AbortSignal;
  now?: () => number;
  events?: ExportEvents;
  /** Client settings for tests and the demo (timeouts, retry delays). */
  client?: Partial<WechatClientOptions>;
  tokenEnv?: Record<string, string | undefined>;
  follow?: (appid: string, api: ExportApi) => ExportApi;
  onDayDone?: (appid: string, day: DayOutcome) => void;
  /**
   * PostgreSQL: how long an app's lease lasts unrenewed (default 30 s), renewed every third of it while the
   * app is exported. A worker that dies leaves its apps to others after this long.
   */
  leaseTtlMs?: number;
}

/** PostgreSQL leases last this long unrenewed, by default. */
export const DEFAULT_LEASE_TTL_MS = 30_000;

export interface PassOutcome {
  exitCode: ExitCode;
  /** The one summary line of the pass. */
  summary: string;
  /** One line per app that failed (fatal, quota, internal error): never a line per healthy app. */
  failures: string[];
  apps: AppOutcome[];
  /** HTTP requests to userlog_search of every app, retries included. */
  searchCalls: number;
  /** Set when another process holds the database's lock (SQLite). */
  holder?: LockHolder;
  /** Apps another worker held the lease of, so that this pass left them (PostgreSQL). */
  leasedElsewhere?: string[];
  /** The first internal error of an app (a bug): the CLI reports it with exit 5 once the pass is over. */
  crash?: Error;
}

/** `host:pid`, as `runs.worker` records the process. */
export function workerName(worker: WorkerIdentity): string {
  return `${worker.hostname}:${worker.pid}`;
}

/** The one-app summary line, as a run of one app has always printed it. */
export function summarizeApp(result: ExportResult, searchCalls: number, elapsedMs: number): string {
  const windows = result.windowsComplete + result.windowsIncomplete;
  const state = result.fatal
    ? `stopped: ${result.fatal.message}`
    : result.quotaExhausted
      ? 'stopped: WeChat daily quota reached; the next run continues'
      : result.leaseLost
        ? 'stopped: another worker took the lease on this app over and continues it'
        : result.aborted
          ? 'interrupted; the next run continues'
          : result.windowsIncomplete > 0
            ? 'incomplete; the next run continues'
            : 'complete';
  const unavailable = result.daysUnavailable > 0 ? ` (${result.daysUnavailable} not served by WeChat)` : '';
  const shape = result.unexpectedShape > 0 ? `, ${result.unexpectedShape} of an undocumented shape` : '';
  return (
    `${state}: ${result.days.length} days${unavailable}, ${result.windowsComplete}/${windows} windows complete, ` +
    `${result.entriesNew} new entries (${result.entriesSeen} read${shape}), ${searchCalls} search calls, ` +
    `${result.errors.length} errors, ${(elapsedMs / 1000).toFixed(1)}s`
  );
}

function failed(app: AppOutcome): boolean {
  return app.exitCode === ExitCode.Fatal || app.exitCode === ExitCode.Internal || app.result?.quotaExhausted === true;
}

/** The exit code of a pass over many apps (docs/exit-codes.md). */
export function passExitCode(apps: readonly AppOutcome[]): ExitCode {
  if (apps.some((a) => a.exitCode === ExitCode.Internal)) return ExitCode.Internal;
  if (apps.length > 0 && apps.every((a) => a.exitCode === ExitCode.Fatal)) return ExitCode.Fatal;
  return apps.some((a) => a.exitCode !== ExitCode.Ok) ? ExitCode.Incomplete : ExitCode.Ok;
}

/** The summary of a pass over several apps: one line, then one line per failed app. */
export function summarizePass(
  apps: readonly AppOutcome[],
  configured: number,
  aborted: boolean,
  elapsedMs: number,
  elsewhere = 0,
): { summary: string; failures: string[] } {
  const sum = (f: (a: AppOutcome) => number): number => apps.reduce((n, a) => n + f(a), 0);
  const failures = apps.filter(failed);
  const incomplete = apps.filter((a) => !failed(a) && a.exitCode !== ExitCode.Ok).length;
  const windowsComplete = sum((a) => a.result?.windowsComplete ?? 0);
  const windows = windowsComplete + sum((a) => a.result?.windowsIncomplete ?? 0);
  const state = aborted
    ? 'interrupted; the next run continues'
    : failures.length > 0 && failures.length === apps.length
      ? 'stopped: every app failed'
      : failures.length > 0 || incomplete > 0
        ? 'incomplete; the next run continues'
        : 'complete';
  const skipped = configured - apps.length - elsewhere;
  const parts = [
    `${apps.length} apps` +
      (failures.length > 0 ? `, ${failures.length} failed` : '') +
      (incomplete > 0 ? `, ${incomplete} incomplete` : '') +
      (skipped > 0 ? `, ${skipped} not started` : '') +
      (elsewhere > 0 ? `, ${elsewhere} exported by other workers` : ''),
    `${windowsComplete}/${windows} windows complete`,
    `${sum((a) => a.result?.entriesNew ?? 0)} new entries (${sum((a) => a.result?.entriesSeen ?? 0)} read)`,
    `${sum((a) => a.searchCalls)} search calls`,
    `${(elapsedMs / 1000).toFixed(1)}s`,
  ];
  return {
    summary: `${state}: ${parts.join(', ')}`,
    failures: failures.map((a) => `${a.appid}: ${a.error ?? `exit ${a.exitCode}`}`),
  };
}

/** Starts one app's export under whatever holds it for this worker; undefined when it cannot be held. */
type AppStarter = (app: AppConfig, run: (lease: AppLease) => Promise<AppOutcome>) => Promise<AppOutcome | undefined>;

/**
 * One export pass as a process runs it (the process part): open the store, make sure this worker may write
 * (SQLite: the database's lock, or who holds it; PostgreSQL: a lease per app, renewed while it works),
 * export the apps through one bounded set of connections, up to `concurrency` at a time, each in its own
 * budget (app-export.ts), and let go. Apps are started least recently run first, so that when a pass is
 * cut short the next one serves those it did not reach.
 */
export async function exportPass(o: PassOptions): Promise<PassOutcome> {
  const started = (o.now ?? Date.now)();
  const store = await openStore(o.db, {
    poolSize: Math.max(4, Math.min(20, o.concurrency + 2)),
    // A worker stopped inside a transaction loses its session, and its lock on the lease row, before the
    // lease itself expires (docs/postgres.md, "Leases and fencing").
    idleInTransactionMs: Math.floor((o.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS) / 2),
  });
  try {
    return store instanceof PgStore ? await leasedPass(store, o, started) : await lockedPass(store, o, started);
  } finally {
    await store.close();
  }
}

/** SQLite: one writer per file, the run lock, heartbeated while the pass runs. */
async function lockedPass(store: AsyncSqliteStore, o: PassOptions, started: number): Promise<PassOutcome> {
  const lock = new RunLock(store.store.db, {
    pid: o.worker.pid,
    hostname: o.worker.hostname,
    command: o.command,
    now: o.now ?? Date.now,
    isAlive: o.worker.isAlive,
  });
  const attempt = lock.tryAcquire();
  if (!attempt.acquired) {
    return { exitCode: ExitCode.Locked, summary: '', failures: [], apps: [], searchCalls: 0, holder: attempt.holder };
  }
  const heartbeat = setInterval(() => lock.heartbeat(), 15_000);
  heartbeat.unref();
  try {
    return await runApps(store, o, started, (_app, run) => run({}));
  } finally {
    clearInterval(heartbeat);
    lock.release();
  }
}

/**
 * PostgreSQL: each app is exported under its lease (docs/postgres.md, "Leases and fencing"), taken when
 * its turn comes: an app another worker holds, or took and finished since this pass began, is left to it.
 * The lease is renewed every third of its time; once lost, the app's export stops (its writes are fenced
 * off anyway) and says so.
 */
async function leasedPass(store: PgStore, o: PassOptions, started: number): Promise<PassOutcome> {
  const worker = workerName(o.worker);
  const ttlMs = o.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  const elsewhere: string[] = [];
  // An app another worker took and finished after this instant was exported in this pass: not again.
  const doneSince = await store.leases.now();
  // Send times are shared with workers on other machines: counted on the database's clock, not this one's.
  const budgetNow = await sharedClock(() => store.leases.now(), o.now ?? Date.now);
  const outcome = await runApps(
    store,
    o,
    started,
    async (app, run) => {
      const [taken] = await store.leases.tryLease(worker, [app.appid], ttlMs, { doneSince });
      if (!taken) {
        elsewhere.push(app.appid);
        return undefined;
      }
      const held = new HeldLease(store, taken, ttlMs, o.logger.child({ appid: app.appid }), o.signal);
      try {
        return await run({ fence: { worker, epoch: taken.epoch }, signal: held.signal });
      } finally {
        await held.release();
      }
    },
    () => elsewhere.length,
    budgetNow,
  );
  if (outcome.apps.length === 0 && elsewhere.length > 0) {
    return {
      ...outcome,
      exitCode: ExitCode.Locked,
      summary: `every app (${elsewhere.length}) is being or has just been exported by other workers; nothing done`,
      leasedElsewhere: elsewhere,
    };
  }
  return { ...outcome, ...(elsewhere.length > 0 ? { leasedElsewhere: elsewhere } : {}) };
}

/** A lease this worker holds while it exports the app: renewed on a timer, its loss aborting `signal`. */
class HeldLease {
  private readonly abort = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private renewing: Promise<void> = Promise.resolve();
  private readonly onPassAbort = (): void => this.abort.abort(this.passSignal?.reason);

  constructor(
    private readonly store: PgStore,
    private lease: Lease,
    ttlMs: number,
    logger: Logger,
    private readonly passSignal: AbortSignal | undefined,
  ) {
    if (passSignal?.aborted) this.onPassAbort();
    passSignal?.addEventListener('abort', this.onPassAbort, { once: true });
    this.timer = setInterval(() => {
      this.renewing = this.renewing.then(async () => {
        if (this.abort.signal.aborted) return;
        try {
          this.lease = await store.leases.renew(this.lease, ttlMs);
        } catch (e: unknown) {
          if (e instanceof LeaseLostError) this.abort.abort(e);
          // The database unreachable for a moment: the next renewal tries again, the fence guards the writes.
          else logger.warn('could not renew the lease on this app', { error: String(e) });
        }
      });
    }, ttlMs / 3);
    this.timer.unref();
  }

  /** Aborted with the pass, or with a LeaseLostError once another worker took the app. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Stops renewing and frees the app at once for any worker (a lost lease is not ours to free: false). */
  async release(): Promise<void> {
    clearInterval(this.timer);
    this.passSignal?.removeEventListener('abort', this.onPassAbort);
    await this.renewing;
    await this.store.leases.release(this.lease).catch(() => false);
  }
}

/** The apps of a pass, each started through `start`, with the pass's summary and events. */
async function runApps(
  store: AsyncSqliteStore | PgStore,
  o: PassOptions,
  started: number,
  start: AppStarter,
  elsewhere: () => number = () => 0,
  budgetNow?: () => number,
): Promise<PassOutcome> {
  const now = o.now ?? Date.now;
  const timeouts = { ...DEFAULT_HTTP_TIMEOUTS, ...o.client?.timeouts };
  // A connection for every call that can be in flight: each app reads DAYS_AT_ONCE days at once, and
  // a token or scene-list call may go beside them. A search call is counted in its budget the moment before
  // it leaves; one that then waited for a connection would reach WeChat up to a whole round trip later than
  // counted, past the budget's margin. undici opens them only as calls need them.
  const httpPool = sharedHttpPool(o.apiBase, DAYS_AT_ONCE * Math.max(1, o.concurrency) + 2, timeouts);
  const outcomes: AppOutcome[] = [];
  // The pass's own signal, followed by every app in flight: up to `concurrency` listeners at once (each app's
  // export removes its own), more than EventTarget's default warning threshold of 10.
  const passAbort = new AbortController();
  setMaxListeners(Math.max(1, o.concurrency) * 4 + 10, passAbort.signal);
  const onAbort = (): void => passAbort.abort(o.signal?.reason);
  if (o.signal?.aborted) onAbort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const signal = passAbort.signal;
  try {
    o.events?.emit({ type: 'pass-started', apps: o.apps.length, at: now() });
    const ctx: AppExportContext = {
      store,
      command: o.command,
      worker: workerName(o.worker),
      pid: o.worker.pid,
      apiBase: o.apiBase,
      rateIntervalMs: o.rateIntervalMs,
      httpPool,
      logger: o.logger,
      now,
      ...(budgetNow ? { budgetNow } : {}),
      signal,
      ...(o.events ? { events: o.events } : {}),
      ...(o.client ? { client: o.client } : {}),
      ...(o.tokenEnv ? { tokenEnv: o.tokenEnv } : {}),
      ...(o.follow ? { follow: o.follow } : {}),
      ...(o.onDayDone ? { onDayDone: o.onDayDone } : {}),
    };
    forgetOldSendTimes(store.requests, (budgetNow ?? now)() - 10 * o.rateIntervalMs, o.logger);
    const lastRun = await store.apps.lastRunTimes();
    const order = [...o.apps].sort((a, b) => (lastRun.get(a.appid) ?? -1) - (lastRun.get(b.appid) ?? -1));
    const queue = new PQueue({ concurrency: Math.max(1, o.concurrency) });
    signal.addEventListener('abort', () => queue.clear(), { once: true });
    for (const app of order) {
      void queue.add(async () => {
        if (signal.aborted) return;
        const at = now();
        try {
          const outcome = await start(app, (lease) => exportApp(app, ctx, lease));
          if (outcome) outcomes.push(outcome);
        } catch (e: unknown) {
          // The database failed this app outside its export (its lease, its runs row): recorded as the app's
          // internal error, never an unhandled rejection that would end the process.
          const crash = coerceError(e);
          o.logger.error('the export of this app failed unexpectedly', { appid: app.appid, error: crash.message });
          const error = `internal error: ${crash.message}`;
          outcomes.push({
            appid: app.appid,
            exitCode: ExitCode.Internal,
            result: null,
            searchCalls: 0,
            error,
            crash,
            startedAt: at,
            finishedAt: now(),
          });
        }
      });
    }
    await queue.onIdle();
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    await httpPool.close();
  }
  const finished = now();
  const exitCode = passExitCode(outcomes);
  const aborted = o.signal?.aborted ?? false;
  const one = o.apps.length === 1 ? outcomes[0] : undefined;
  const { summary, failures } =
    one?.result && !one.crash
      ? { summary: summarizeApp(one.result, one.searchCalls, finished - started), failures: [] }
      : summarizePass(outcomes, o.apps.length, aborted, finished - started, elsewhere());
  o.events?.emit({
    type: 'pass-done',
    exitCode,
    apps: outcomes.length,
    appsFailed: outcomes.filter(failed).length,
    startedAt: started,
    finishedAt: finished,
  });
  const crash = outcomes.find((a) => a.crash)?.crash;
  return {
    // An interrupted pass that left apps unstarted is incomplete, whatever the apps it ran say.
    exitCode:
      aborted && exitCode === ExitCode.Ok && outcomes.length + elsewhere() < o.apps.length
        ? ExitCode.Incomplete
        : exitCode,
    summary,
    failures,
    apps: outcomes,
    searchCalls: outcomes.reduce((n, a) => n + a.searchCalls, 0),
    ...(crash ? { crash } : {}),
  };
}
