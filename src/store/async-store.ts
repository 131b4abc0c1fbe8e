/**
 * The storage the export needs, as one asynchronous interface (docs/postgres.md, "The storage
 * interface"): what src/export/ and src/cli/export-pass.ts call on the SQLite `Store` today, with every
 * method returning a Promise, so that SQLite (src/store/sqlite/async-sqlite-store.ts) and PostgreSQL
 * (src/store/postgres/pg-store.ts) can stand behind it. The run lock is not part of it: SQLite has one
 * writer per file (src/store/run-lock.ts), PostgreSQL one worker per app (src/store/postgres/leases.ts).
 */
import type { SaveResult } from './entry-writer.js';
import type { RunRecord } from './run-history.js';
import type { PagePlace } from './store.js';
import type { WindowCheck, WindowRow } from './window-ledger.js';
import type { ServedEntry } from '../wechat/served-entry.js';
import type { Scene } from '../wechat/types.js';

export type { SaveResult } from './entry-writer.js';
export type { RunRecord } from './run-history.js';
export type { PagePlace, ServedWindow } from './store.js';
export type { WindowCheck, WindowRow, WindowStatus } from './window-ledger.js';
export { LeaseLostError } from './postgres/lease-lost-error.js';

/**
 * The lease an app's writes are fenced by (`AsyncStore.fencedBy`): written only while the app's lease still
 * has this worker and epoch (src/store/postgres/fence.ts). Otherwise the write throws `LeaseLostError` and
 * stores nothing.
 */
export interface WriteFence {
  worker: string;
  epoch: number;
}

/** The coverage ledger (src/store/window-ledger.ts). */
export interface AsyncWindowLedger {
  get(id: number): Promise<WindowRow>;
  dayRoot(appid: string, filterKey: string, date: string, begintime: number, endtime: number): Promise<WindowRow>;
  children(id: number): Promise<WindowRow[]>;
  countStored(appid: string, filterKey: string, begintime: number, endtime: number): Promise<number>;
  latestStoredSecond(appid: string, filterKey: string, begintime: number, endtime: number): Promise<number | undefined>;
  recordProgress(id: number, nextStart: number, readTotal: number, serverTotal: number, at: number): Promise<void>;
  recordCheck(id: number, check: WindowCheck): Promise<void>;
  recordSplitCheck(id: number, serverTotal: number, storedCount: number | null, at: number): Promise<void>;
  split(
    id: number,
    cuts: readonly number[],
    serverTotal: number | null,
    at: number,
    note: string,
  ): Promise<WindowRow[]>;
  windowsForDays(appid: string, filterKey: string, firstDate: string, lastDate: string): Promise<WindowRow[]>;
  markUnavailable(appid: string, filterKey: string, date: string, at: number, note: string): Promise<void>;
  expireBefore(appid: string, oldestRetained: string, at: number): Promise<number>;
}

/** Small facts learnt from the server (src/store/state-store.ts). */
export interface AsyncStateStore {
  get(key: string): Promise<string | undefined>;
  getNumber(key: string): Promise<number | undefined>;
  set(key: string, value: string | number, at: number): Promise<void>;
}

/** The rate budget's shared send times (src/store/request-log.ts). */
export interface AsyncRequestLog {
  tryTake(appid: string, nowMs: number, limit: number, spanMs: number): Promise<number>;
  pruneBefore(beforeMs: number): Promise<void>;
  since(appid: string, sinceMs: number): Promise<number[]>;
}

/** The `runs` table's writer (src/store/run-history.ts). */
export interface AsyncRunHistory {
  start(command: string, appid: string | null, pid: number, at: number, worker?: string): Promise<number>;
  finishRun(id: number, finishedAt: number, record: RunRecord): Promise<void>;
}

/** The `apps` table's writer (src/store/app-registry.ts). */
export interface AsyncAppRegistry {
  /** When each app's latest finished pass started: a pass serves the least recently run apps first. */
  lastRunTimes(): Promise<Map<string, number>>;
  seen(appid: string, at: number): Promise<void>;
  finished(appid: string, startedAt: number, exitCode: number, error: string | null): Promise<void>;
}

/** A writable wxlog database, whichever engine holds it. */
export interface AsyncStore {
  readonly engine: 'sqlite' | 'postgres';
  readonly windows: AsyncWindowLedger;
  readonly state: AsyncStateStore;
  readonly requests: AsyncRequestLog;
  readonly runs: AsyncRunHistory;
  readonly apps: AsyncAppRegistry;
  /**
   * Stores a page's entries, their messages and the ledger's progress in one transaction (src/store/store.ts):
   * a crash at any instant loses nothing and duplicates nothing. On a fenced store, only while its lease holds.
   */
  savePage(
    appid: string,
    filterKey: string,
    entries: readonly ServedEntry[],
    seenAt: number,
    place?: PagePlace,
  ): Promise<SaveResult>;
  /** Replaces the stored scene list of `appid` (src/store/scene-store.ts). */
  replaceScenes(appid: string, scenes: readonly Scene[], at: number): Promise<void>;
  /** The stored scene list of `appid`, in the order the server listed it (`wxlog scenes` prints it back). */
  listScenes(appid: string): Promise<Scene[]>;
  /**
   * The store as the holder of `appid`'s lease `fence` writes it (docs/postgres.md, "Leases and fencing"):
   * on PostgreSQL, every write of the app's data, ledger and state (`savePage`, `replaceScenes`, the ledger's
   * writes, `state.set`) checks the lease in its own statement or transaction and throws `LeaseLostError`,
   * having written nothing, once another worker took the app; `apps.finished` then writes nothing, quietly.
   * Not fenced: the shared rate budget (`requests`: a request sent always counts), the worker's own `runs`
   * row, `apps.seen`, and every read. Such a store writes `appid` only (another app's writes are refused
   * with RangeError). It shares the connections of the store it came from: closing it closes both. SQLite
   * has one writer per file (the run lock), not leases: its store is returned as it is.
   */
  fencedBy(appid: string, fence: WriteFence): AsyncStore;
  close(): Promise<void>;
}
