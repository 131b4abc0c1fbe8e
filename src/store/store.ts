import { AppRegistry } from './app-registry.js';
import { openDatabase, type Database, type OpenOptions } from './database.js';
import { EntryWriter, type SaveResult, type ServedWindow } from './entry-writer.js';
import type { MigrationResult } from './migrator.js';
import { RequestLog } from './request-log.js';
import { RunHistory } from './run-history.js';
import { StateStore } from './state-store.js';
import { WindowLedger } from './window-ledger.js';
import type { ServedEntry } from '../wechat/served-entry.js';

/** Where a page's entries came from: the window it was served for and how far that window's read has got. */
export interface PagePlace {
  window: ServedWindow;
  progress?: { nextStart: number; readTotal: number; serverTotal: number };
}

export type { ServedWindow } from './entry-writer.js';

// Never used for an entry (savePage refuses untimed entries without a window); only fills the parameter.
const NO_WINDOW: ServedWindow = { id: 0, begintime: 0, endtime: 0 };

/** A writable wxlog database with its parts. */
export class Store {
  readonly entries: EntryWriter;
  readonly windows: WindowLedger;
  readonly state: StateStore;
  readonly requests: RequestLog;
  readonly runs: RunHistory;
  readonly apps: AppRegistry;
  private readonly savePageTxn: (
    appid: string,
    filterKey: string,
    entries: readonly ServedEntry[],
    seenAt: number,
    place?: PagePlace,
  ) => SaveResult;

  private constructor(
    readonly db: Database,
    readonly migrations: MigrationResult[],
  ) {
    this.entries = new EntryWriter(db);
    this.windows = new WindowLedger(db);
    this.state = new StateStore(db);
    this.requests = new RequestLog(db);
    this.runs = new RunHistory(db);
    this.apps = new AppRegistry(db);
    this.savePageTxn = db.transaction(
      (appid: string, filterKey: string, entries: readonly ServedEntry[], seenAt: number, place?: PagePlace) => {
        const result = this.entries.save(appid, entries, seenAt, place?.window ?? NO_WINDOW, filterKey);
        const p = place?.progress;
        if (place && p) this.windows.recordProgress(place.window.id, p.nextStart, p.readTotal, p.serverTotal, seenAt);
        return result;
      },
    );
  }

  /** Opens and migrates the database at `path` (its folder is created). */
  static open(path: string, options: Omit<OpenOptions, 'readonly'> = {}): Store {
    const { db, migrations } = openDatabase(path, options);
    return new Store(db, migrations);
  }

  /**
   * Stores a page's entries, their messages and the ledger's progress in one transaction: a SIGKILL at
   * any instant loses nothing and duplicates nothing.
   */
  savePage(
    appid: string,
    filterKey: string,
    entries: readonly ServedEntry[],
    seenAt: number,
    place?: PagePlace,
  ): SaveResult {
    if (place === undefined && entries.some((e) => e.timestamp === null)) {
      throw new RangeError('an entry without a timestamp can only be saved with the window it was served for');
    }
    return this.savePageTxn(appid, filterKey, entries, seenAt, place);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
