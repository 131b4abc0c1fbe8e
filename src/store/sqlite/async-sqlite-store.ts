import type { AsyncStore, WriteFence } from '../async-store.js';
import type { SaveResult } from '../entry-writer.js';
import { listScenes, replaceScenes } from '../scene-store.js';
import type { PagePlace, Store } from '../store.js';
import type { ServedEntry } from '../../wechat/served-entry.js';
import type { Scene } from '../../wechat/types.js';

/** Every method of `T`, returning a Promise of what it returned. */
type Promised<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/**
 * `part`'s methods `names`, each wrapped to return a Promise. A sync method that throws gives a rejected
 * Promise, as an asynchronous store's would.
 */
function promised<T extends object, K extends keyof T>(part: T, names: readonly K[]): Promised<Pick<T, K>> {
  const out = {} as Record<K, unknown>;
  for (const name of names) {
    const method = part[name] as (...args: unknown[]) => unknown;
    out[name] = async (...args: unknown[]) => method.apply(part, args);
  }
  return out as Promised<Pick<T, K>>;
}

/**
 * Today's synchronous SQLite `Store` behind the asynchronous storage interface (src/store/async-store.ts),
 * so that the storage tests run against both engines and the export can move to the interface before the
 * SQLite store itself is restructured. It owns the store: `close` closes it.
 */
export class AsyncSqliteStore implements AsyncStore {
  readonly engine = 'sqlite' as const;
  readonly windows;
  readonly state;
  readonly requests;
  readonly runs;
  readonly apps;

  constructor(readonly store: Store) {
    this.windows = promised(store.windows, [
      'get',
      'dayRoot',
      'children',
      'countStored',
      'latestStoredSecond',
      'recordProgress',
      'recordCheck',
      'recordSplitCheck',
      'split',
      'windowsForDays',
      'markUnavailable',
      'expireBefore',
    ] as const);
    this.state = promised(store.state, ['get', 'getNumber', 'set'] as const);
    this.requests = promised(store.requests, ['tryTake', 'pruneBefore', 'since'] as const);
    this.runs = promised(store.runs, ['start', 'finishRun'] as const);
    this.apps = promised(store.apps, ['lastRunTimes', 'seen', 'finished'] as const);
  }

  /** As `Store.savePage`. */
  async savePage(
    appid: string,
    filterKey: string,
    entries: readonly ServedEntry[],
    seenAt: number,
    place?: PagePlace,
  ): Promise<SaveResult> {
    return this.store.savePage(appid, filterKey, entries, seenAt, place);
  }

  async replaceScenes(appid: string, scenes: readonly Scene[], at: number): Promise<void> {
    replaceScenes(this.store.db, appid, scenes, at);
  }

  async listScenes(appid: string): Promise<Scene[]> {
    return listScenes(this.store.db, appid);
  }

  /**
   * This store itself: SQLite has no leases to fence by, its run lock (src/store/run-lock.ts) already
   * keeps every other writer out of the file for the whole pass.
   */
  fencedBy(_appid: string, _fence: WriteFence): AsyncSqliteStore {
    return this;
  }

  async close(): Promise<void> {
    this.store.close();
  }
}
