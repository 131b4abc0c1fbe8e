import { Writable } from 'node:stream';
import type { DayOutcome, ExportApi } from '../export/run-export.js';

/**
 * Progress of an export on a terminal: one line on stderr, redrawn in place, with days and windows done,
 * entries stored, calls made and an ETA that follows from the rate budget. Nothing of it is drawn on a
 * pipe or a file (the JSON logs are for those).
 */

/**
 * Where a CST day of the pass stands on the progress line. Not the ledger's `DayState` (store/coverage-report.ts,
 * complete … unavailable): this is how far this pass has got with the day, which the ledger does not record.
 */
export type DayProgressState = 'waiting' | 'reading' | 'done';

export interface DayProgress {
  date: string;
  state: DayProgressState;
  /** The server's total for the whole day as last seen, this pass or an earlier one. */
  serverTotal: number | null;
  /** Entries stored for the day. */
  stored: number;
  windowsComplete: number;
  windowsIncomplete: number;
}

/** Everything the line shows, as plain data. */
export interface ProgressState {
  /** `wxlog run`, `wxlog daemon`. */
  label: string;
  days: DayProgress[];
  /** Entries stored by this pass. */
  entriesNew: number;
  /** userlog_search requests so far, retries included. */
  searchCalls: number;
  elapsedMs: number;
  pageSize: number;
  /** The rate budget: `calls` per `intervalMs`. */
  budget: { calls: number; intervalMs: number };
}

const CLEAR_LINE = '\x1b[2K';

function pagesFor(missing: number, pageSize: number): number {
  return Math.ceil(Math.max(0, missing) / pageSize);
}

/**
 * Search calls the pass still needs, estimated from server totals: a day being read needs the pages between
 * what is stored and its total; a day not yet reached needs one call to check it, or the pages of what it
 * lacks. A day never seen is taken to be as large as the days whose totals are known.
 */
export function remainingCalls(s: ProgressState): number {
  const known = s.days.filter((d) => d.serverTotal !== null).map((d) => d.serverTotal ?? 0);
  const typical = known.length === 0 ? 0 : known.reduce((a, b) => a + b, 0) / known.length;
  let calls = 0;
  for (const d of s.days) {
    if (d.state === 'done') continue;
    const total = d.serverTotal ?? typical;
    const pages = pagesFor(total - d.stored, s.pageSize);
    calls += d.state === 'reading' && d.serverTotal !== null ? pages : Math.max(1, pages);
  }
  return calls;
}

/**
 * Time the remaining calls take: no faster than the budget allows (`intervalMs / calls` per call), nor than
 * this pass has managed so far (a slow server, a budget shared with another process).
 */
export function etaMs(s: ProgressState): number {
  const budgetPace = s.budget.intervalMs / s.budget.calls;
  const observedPace = s.searchCalls > 0 ? s.elapsedMs / s.searchCalls : 0;
  return remainingCalls(s) * Math.max(budgetPace, observedPace);
}

/** `45s`, `4m05s`, `2h07m`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

function perInterval(ms: number): string {
  if (ms === 60_000) return 'min';
  if (ms % 60_000 === 0) return `${ms / 60_000}min`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The progress line for `s`, cut to `columns - 1` characters when given (a wrapped line cannot be redrawn). */
export function renderProgress(s: ProgressState, columns?: number): string {
  const done = s.days.filter((d) => d.state === 'done');
  const complete = done.reduce((n, d) => n + d.windowsComplete, 0);
  const incomplete = done.reduce((n, d) => n + d.windowsIncomplete, 0);
  const left = remainingCalls(s);
  const eta =
    left === 0
      ? 'finishing'
      : `ETA ${formatDuration(etaMs(s))} (~${left} calls at ${s.budget.calls}/${perInterval(s.budget.intervalMs)})`;
  const windows = `${complete} window${complete === 1 ? '' : 's'} complete${incomplete > 0 ? `, ${incomplete} incomplete` : ''}`;
  const line = `${s.label}: ${done.length}/${s.days.length} days, ${eta}; ${windows}, ${s.entriesNew} new entries, ${s.searchCalls} calls`;
  if (columns === undefined || columns <= 1 || line.length <= columns - 1) return line;
  return `${line.slice(0, Math.max(0, columns - 2))}…`;
}

/** A terminal stream: `columns` is the width of a TTY. */
export type TerminalStream = NodeJS.WritableStream & { columns?: number };

export interface ProgressLineOptions {
  /** Unix milliseconds. */
  now?: () => number;
  /** Least time between two draws; default 250 ms. */
  minIntervalMs?: number;
}

/**
 * One line at the bottom of a terminal, redrawn in place (`\r`, clear line) at most every `minIntervalMs`.
 * Log lines go through {@link ProgressLine.logStream}, which lifts the line out of their way and puts it
 * back below them.
 */
export class ProgressLine {
  private shown: string | null = null;
  private lastDrawAt = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;
  private readonly minIntervalMs: number;
  /** For the logger: a TTY-like stream whose lines appear above the progress line. */
  readonly logStream: Writable & { isTTY: true };

  constructor(
    private readonly stream: TerminalStream,
    options: ProgressLineOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.minIntervalMs = options.minIntervalMs ?? 250;
    const write = (chunk: unknown, _encoding: BufferEncoding, done: (error?: Error | null) => void): void => {
      const text = String(chunk);
      // One write, so that nothing can land between the cleared line and the log line.
      this.stream.write(this.shown === null ? text : `\r${CLEAR_LINE}${text}${this.shown}`);
      done();
    };
    this.logStream = Object.assign(new Writable({ decodeStrings: false, write }), { isTTY: true as const });
  }

  /** Whether a draw now would be shown rather than dropped. */
  due(): boolean {
    return this.now() - this.lastDrawAt >= this.minIntervalMs;
  }

  /** Shows `text` in place of the current line; dropped (returns false) when the last draw was too recent. */
  draw(text: string): boolean {
    if (!this.due()) return false;
    this.lastDrawAt = this.now();
    const columns = this.stream.columns;
    this.shown =
      columns !== undefined && columns > 1 && text.length > columns - 1 ? `${text.slice(0, columns - 2)}…` : text;
    this.stream.write(`\r${CLEAR_LINE}${this.shown}`);
    return true;
  }

  /** Removes the line, leaving the cursor at the start of an empty line. */
  clear(): void {
    if (this.shown === null) return;
    this.stream.write(`\r${CLEAR_LINE}`);
    this.shown = null;
  }
}

export interface ExportProgressOptions {
  line: ProgressLine;
  /** `wxlog run`, `wxlog daemon`. */
  label: string;
  /** The pass's CST days, oldest first. */
  days: string[];
  /** A day's coverage as the ledger has it now. */
  coverage: (date: string) => DayOutcome;
  /** userlog_search requests so far. */
  searchCalls: () => number;
  pageSize: number;
  budget: { calls: number; intervalMs: number };
  now: () => number;
}

/** Follows one export pass and draws its progress line. */
export class ExportProgress {
  private readonly days = new Map<string, DayProgress>();
  private readonly storedAtStart: number;
  private readonly startedAt: number;
  private finished = false;

  constructor(private readonly o: ExportProgressOptions) {
    this.startedAt = o.now();
    let stored = 0;
    for (const date of o.days) {
      const day: DayProgress = { ...fromCoverage(o.coverage(date)), state: 'waiting' };
      this.days.set(date, day);
      stored += day.stored;
    }
    this.storedAtStart = stored;
  }

  /** A search call for `date` is about to be made. */
  reading(date: string): void {
    const day = this.days.get(date);
    if (day?.state === 'waiting') day.state = 'reading';
  }

  /** `api`, telling this which day each search call is for. */
  follow(api: ExportApi): ExportApi {
    return {
      searchLogs: async (params, signal) => {
        this.reading(params.date);
        try {
          return await api.searchLogs(params, signal);
        } finally {
          this.update();
        }
      },
      getSceneList: (signal) => api.getSceneList(signal),
    };
  }

  dayDone(coverage: DayOutcome): void {
    if (!this.days.has(coverage.date)) return;
    this.days.set(coverage.date, { ...fromCoverage(coverage), state: 'done' });
    this.update();
  }

  /** Redraws the line when a draw is due. */
  update(): void {
    // The ledger is read only when the line will actually be drawn.
    if (this.finished || !this.o.line.due()) return;
    this.o.line.draw(renderProgress(this.state()));
  }

  /** What the line shows now; reads the days being read from the ledger. */
  state(): ProgressState {
    for (const [date, day] of this.days) {
      if (day.state === 'reading') this.days.set(date, { ...fromCoverage(this.o.coverage(date)), state: 'reading' });
    }
    const days = [...this.days.values()];
    const stored = days.reduce((n, d) => n + d.stored, 0);
    return {
      label: this.o.label,
      days,
      entriesNew: Math.max(0, stored - this.storedAtStart),
      searchCalls: this.o.searchCalls(),
      elapsedMs: this.o.now() - this.startedAt,
      pageSize: this.o.pageSize,
      budget: this.o.budget,
    };
  }

  /** Removes the line for good (before the summary is printed and the database closed). */
  finish(): void {
    this.finished = true;
    this.o.line.clear();
  }
}

function fromCoverage(c: DayOutcome): Omit<DayProgress, 'state'> {
  return {
    date: c.date,
    serverTotal: c.serverTotal,
    stored: c.stored,
    windowsComplete: c.windowsComplete,
    windowsIncomplete: c.windowsIncomplete,
  };
}
