import { openDatabase, type Database, type OpenOptions } from './database.js';
import { EntryWriter, type SaveResult } from './entry-writer.js';
import type { MigrationResult } from './migrator.js';
import { RequestLog } from './request-log.js';
import { RunHistory } from './run-history.js';
import { StateStore } from './state-store.js';
import { WindowLedger } from './window-ledger.js';
import type { LogEntry } from '../wechat/types.js';

/** Where a page's entries came from: the window being read and how far its read has got. */
export interface PageProgress {
  windowId: number;
  nextStart: number;
  readTotal: number;
  serverTotal: number;
}

/** A writable wxlog database with its parts. */
export class Store {
  readonly entries: EntryWriter;
  readonly windows: WindowLedger;
  readonly state: StateStore;
  readonly requests: RequestLog;
  readonly runs: RunHistory;
  private readonly savePageTxn: (appid: string, filterKey: string, entries: readonly LogEntry[], seenAt: number, progress?: PageProgress) => SaveResult;

  private constructor(
    readonly db: Database,
    readonly migrations: MigrationResult[],
  ) {
    this.entries = new EntryWriter(db);
    this.windows = new WindowLedger(db);
    this.state = new StateStore(db);
    this.requests = new RequestLog(db);
    this.runs = new RunHistory(db);
    this.savePageTxn = db.transaction((appid: string, filterKey: string, entries: readonly LogEntry[], seenAt: number, progress?: PageProgress) => {
      const result = this.entries.save(appid, entries, seenAt, filterKey);
      if (progress) this.windows.recordProgress(progress.windowId, progress.nextStart, progress.readTotal, progress.serverTotal, seenAt);
      return result;
    });
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
  savePage(appid: string, filterKey: string, entries: readonly LogEntry[], seenAt: number, progress?: PageProgress): SaveResult {
    return this.savePageTxn(appid, filterKey, entries, seenAt, progress);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
