import type { WechatApi, WechatErrorKind } from '../wechat/errors.js';

/**
 * The one stream through which an export is observed (docs/operations.md): the pipeline emits what
 * happened, and the progress line, the run summary, the `runs` rows and the metrics subscribe. Every
 * app-scoped event names its app; no event carries a secret or a token.
 */
export type ExportEvent =
  /**
   * An HTTP request to WeChat (or to a token service, or a run of a token command) that was sent has ended:
   * each one sent ends in exactly one such event, and one aborted before it left (waiting for the rate budget
   * or a connection) in none. `result` is `ok`, the error's kind, or `aborted`.
   */
  | { type: 'request'; appid: string; api: WechatApi; result: RequestResult; durationMs: number }
  /**
   * A search request waited for the rate budget before it left (see {@link BudgetWaitReason}); `untilMs`
   * is when it expected to go when the wait began.
   */
  | {
      type: 'budget-wait';
      appid: string;
      waitedMs: number;
      reason: BudgetWaitReason;
      untilMs: number;
    }
  /**
   * A search request starts waiting for the rate budget (emitted before the wait, `budget-wait` after it):
   * `untilMs` is when it expects to go. What the progress line's ETA and the daemon's "tick skipped" line
   * are built from.
   */
  | { type: 'budget-waiting'; appid: string; reason: BudgetWaitReason; untilMs: number }
  /** A new access token was obtained (`mode` is the app's token mode), or getting one failed. */
  | { type: 'token'; appid: string; mode: string; result: 'ok' | 'error' }
  /**
   * A page was stored with its ledger progress, in one transaction. `dayStored` and `dayServerTotal`, when
   * given, are the day's entries stored now and the server's total for the whole day as last seen.
   */
  | {
      type: 'page-stored';
      appid: string;
      date: string;
      entriesSeen: number;
      entriesNew: number;
      dayStored?: number;
      dayServerTotal?: number | null;
    }
  /** A leaf window of a day reached a status this pass (`complete`, `incomplete`, `split`, `unavailable`). */
  | { type: 'window-settled'; appid: string; date: string; status: string }
  /** One CST day of an app was reconciled. */
  | {
      type: 'day-done';
      appid: string;
      date: string;
      windowsComplete: number;
      windowsIncomplete: number;
      stored: number;
      serverTotal: number | null;
      unavailable: boolean;
      error: string | null;
    }
  /**
   * An app's pass started (its work begins: token, budget, days). `budget`, when given, is the app's rate
   * budget: `calls` search requests in any `intervalMs`.
   */
  | { type: 'app-started'; appid: string; days: number; at: number; budget?: { calls: number; intervalMs: number } }
  /**
   * An app's pass ended. `complete`: every day it could be served is complete. `windowsIncomplete`: leaf
   * windows not complete after the pass. Times are unix milliseconds.
   */
  | {
      type: 'app-done';
      appid: string;
      exitCode: number;
      complete: boolean;
      windowsIncomplete: number;
      entriesNew: number;
      searchCalls: number;
      startedAt: number;
      finishedAt: number;
      error: string | null;
    }
  /** A pass over every app starts: `apps` are the apps it will export. */
  | { type: 'pass-started'; apps: number; at: number }
  /** A pass over every app ended. */
  | { type: 'pass-done'; exitCode: number; apps: number; appsFailed: number; startedAt: number; finishedAt: number };

/**
 * How a request sent ended: `ok`; the kind of the WechatError it failed with (a failure that is not WeChat's,
 * a bug, counts as `fatal`); or `aborted`, when its signal was aborted before its answer was read (SIGTERM,
 * a lost lease, the client closed), whatever WeChat made of it.
 */
export type RequestResult = 'ok' | 'aborted' | WechatErrorKind;

/**
 * Why a search request waits: `budget` (this process's own calls filled the interval), `shared` (calls of
 * another process sharing the database are in the interval), `rate-limited` (holding back after a
 * 200010/45011).
 */
export type BudgetWaitReason = 'budget' | 'shared' | 'rate-limited';

/** The event of one `type`. */
export type ExportEventOf<T extends ExportEvent['type']> = Extract<ExportEvent, { type: T }>;

export type ExportListener = (event: ExportEvent) => void;

export interface ListenOptions {
  /**
   * Whether this listener reads `page-stored`'s day figures (`dayStored`, `dayServerTotal`), asked at each
   * page: they cost the export two reads of the database per page, made only when some listener wants them
   * (the progress line does; the metrics and the runs row do not).
   */
  dayFigures?: () => boolean;
}

/**
 * A synchronous fan-out of events to listeners, in the order they subscribed. A listener that throws is
 * a bug of that listener: the error goes to `onListenerError` (default: rethrown asynchronously, so that
 * the export itself is never stopped by an observer).
 */
export class ExportEvents {
  readonly #listeners = new Set<ExportListener>();
  readonly #dayFigures = new Set<() => boolean>();

  constructor(
    private readonly onListenerError: (e: unknown) => void = (e) =>
      queueMicrotask(() => {
        throw e;
      }),
  ) {}

  /** Subscribes; the function returned unsubscribes. */
  on(listener: ExportListener, options: ListenOptions = {}): () => void {
    this.#listeners.add(listener);
    const { dayFigures } = options;
    if (dayFigures) this.#dayFigures.add(dayFigures);
    return () => {
      this.#listeners.delete(listener);
      if (dayFigures) this.#dayFigures.delete(dayFigures);
    };
  }

  /** Whether a listener wants `page-stored`'s day figures now (see {@link ListenOptions}). */
  get wantsDayFigures(): boolean {
    for (const wants of this.#dayFigures) if (wants()) return true;
    return false;
  }

  emit(event: ExportEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (e: unknown) {
        this.onListenerError(e);
      }
    }
  }
}
