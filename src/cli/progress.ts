import { Writable } from 'node:stream';
import type { ExportEvent } from '../events/export-events.js';

/**
 * Progress of an export on a terminal: one line on stderr, redrawn in place, built from the export event
 * stream (docs/operations.md) alone: apps and days done, pages and entries read, calls made, and an ETA
 * from the calls left at the observed pace. Nothing of it is drawn on a pipe or a file (the JSON logs are
 * for those).
 */

/** A rate budget: `calls` search requests in any `intervalMs`. */
export interface Budget {
  calls: number;
  intervalMs: number;
}

/** One app of the pass as far as its events tell. */
export interface AppProgress {
  appid: string;
  done: boolean;
  /** CST days of its pass. */
  days: number;
  daysDone: number;
  /** Days being read: entries stored for the day and the server's total for it, as last seen. */
  reading: Record<string, { stored: number; serverTotal: number | null }>;
  /** userlog_search requests of this app, and how many of them were made before its last day-done. */
  searchCalls: number;
  callsAtLastDay: number;
  budget: Budget | null;
  /** When the app's current rate budget wait ends (unix ms), or null when it is not waiting. */
  waitUntil: number | null;
}

/** Everything the line shows, as plain data; {@link followEvent} keeps it. */
export interface ProgressState {
  /** `wxlog run`, `wxlog daemon`. */
  label: string;
  /** Unix ms when the pass started. */
  startedAt: number;
  /** Apps the pass will export, when a pass-started said so. */
  appsPlanned: number | null;
  apps: Record<string, AppProgress>;
  pages: number;
  entriesSeen: number;
  entriesNew: number;
  /** userlog_search requests so far, retries included. */
  searchCalls: number;
  windowsComplete: number;
  windowsIncomplete: number;
  /** Calls and days of the days done so far, for the calls a day not reached yet will take. */
  doneDayCalls: number;
  doneDays: number;
  /** Used for apps that name no budget of their own. */
  budget: Budget;
  pageSize: number;
}

export function initialProgress(o: {
  label: string;
  startedAt: number;
  budget: Budget;
  pageSize: number;
}): ProgressState {
  return {
    label: o.label,
    startedAt: o.startedAt,
    appsPlanned: null,
    apps: {},
    pages: 0,
    entriesSeen: 0,
    entriesNew: 0,
    searchCalls: 0,
    windowsComplete: 0,
    windowsIncomplete: 0,
    doneDayCalls: 0,
    doneDays: 0,
    budget: o.budget,
    pageSize: o.pageSize,
  };
}

function appOf(s: ProgressState, appid: string): AppProgress {
  let app = s.apps[appid];
  if (app === undefined) {
    app = {
      appid,
      done: false,
      days: 0,
      daysDone: 0,
      reading: {},
      searchCalls: 0,
      callsAtLastDay: 0,
      budget: null,
      waitUntil: null,
    };
    s.apps[appid] = app;
  }
  return app;
}

/** Updates `s` with one event (in place; no I/O). */
export function followEvent(s: ProgressState, e: ExportEvent): void {
  switch (e.type) {
    case 'pass-started':
      s.appsPlanned = e.apps;
      s.startedAt = e.at;
      break;
    case 'app-started': {
      const app = appOf(s, e.appid);
      app.days = e.days;
      app.budget = e.budget ?? null;
      break;
    }
    case 'request':
      if (e.api !== 'search') break;
      s.searchCalls += 1;
      appOf(s, e.appid).searchCalls += 1;
      break;
    case 'budget-waiting':
      appOf(s, e.appid).waitUntil = e.untilMs;
      break;
    case 'budget-wait':
      appOf(s, e.appid).waitUntil = null;
      break;
    case 'page-stored': {
      s.pages += 1;
      s.entriesSeen += e.entriesSeen;
      s.entriesNew += e.entriesNew;
      const app = appOf(s, e.appid);
      const before = app.reading[e.date];
      app.reading[e.date] = {
        stored: e.dayStored ?? (before?.stored ?? 0) + e.entriesNew,
        serverTotal: e.dayServerTotal !== undefined ? e.dayServerTotal : (before?.serverTotal ?? null),
      };
      break;
    }
    case 'day-done': {
      const app = appOf(s, e.appid);
      delete app.reading[e.date];
      app.daysDone += 1;
      s.doneDays += 1;
      s.doneDayCalls += app.searchCalls - app.callsAtLastDay;
      app.callsAtLastDay = app.searchCalls;
      s.windowsComplete += e.windowsComplete;
      s.windowsIncomplete += e.windowsIncomplete;
      break;
    }
    case 'app-done': {
      const app = appOf(s, e.appid);
      app.done = true;
      app.reading = {};
      app.waitUntil = null;
      break;
    }
    default:
      break;
  }
}

/** Search calls one day not reached yet is expected to take: the mean of the days done, 1 before any. */
function callsPerDay(s: ProgressState): number {
  return s.doneDays === 0 ? 1 : Math.max(1, s.doneDayCalls / s.doneDays);
}

/** Calls `app` still needs: the pages between stored and the server's total of the days being read, and the days not reached. */
export function remainingCallsOf(s: ProgressState, app: AppProgress): number {
  if (app.done) return 0;
  const reading = Object.values(app.reading);
  let calls = 0;
  for (const day of reading) {
    calls += day.serverTotal === null ? 1 : Math.ceil(Math.max(0, day.serverTotal - day.stored) / s.pageSize);
  }
  const notReached = Math.max(0, app.days - app.daysDone - reading.length);
  return calls + Math.round(notReached * callsPerDay(s));
}

/** Calls the whole pass still needs, apps not started yet included (as large as the apps seen). */
export function remainingCalls(s: ProgressState): number {
  const apps = Object.values(s.apps);
  let calls = apps.reduce((n, app) => n + remainingCallsOf(s, app), 0);
  const notStarted = s.appsPlanned === null ? 0 : Math.max(0, s.appsPlanned - apps.length);
  if (notStarted > 0) {
    const days = apps.length === 0 ? 1 : apps.reduce((n, a) => n + a.days, 0) / apps.length;
    calls += Math.round(notStarted * days * callsPerDay(s));
  }
  return calls;
}

/**
 * The least the rest of the pass can take, from what is known for certain: a rate budget wait in
 * progress, and each app's calls left at its own budget's pace.
 */
export function etaFloorMs(s: ProgressState, now: number): number {
  let floor = 0;
  for (const app of Object.values(s.apps)) {
    if (app.done) continue;
    const budget = app.budget ?? s.budget;
    const wait = app.waitUntil === null ? 0 : Math.max(0, app.waitUntil - now);
    const left = remainingCallsOf(s, app);
    floor = Math.max(floor, wait + Math.max(0, left - 1) * (budget.intervalMs / budget.calls));
  }
  return floor;
}

/**
 * The ETA from the calls left at the pace observed so far (the budget's pace until a few calls are made).
 */
export function rawEtaMs(s: ProgressState, now: number): number {
  const left = remainingCalls(s);
  if (left === 0) return 0;
  const elapsed = Math.max(1, now - s.startedAt);
  const inFlight = Math.max(1, Object.values(s.apps).filter((a) => !a.done).length);
  const budgetPace = (inFlight * s.budget.calls) / s.budget.intervalMs;
  const pace = s.searchCalls >= 5 ? s.searchCalls / elapsed : budgetPace;
  return left / pace;
}

/** An ETA as last shown: `ms` left at the instant `at`. */
export interface Eta {
  ms: number;
  at: number;
}

/** How fast the shown ETA follows a new estimate: it moves a third of the way in this time. */
const ETA_SMOOTHING_MS = 10_000;

/**
 * The ETA to show: the last one counted down by the time passed, moved part of the way toward the new
 * estimate (so it does not jump with every page), and never below `floorMs`.
 */
export function smoothEta(prev: Eta | undefined, rawMs: number, floorMs: number, now: number): Eta {
  if (prev === undefined) return { ms: Math.max(rawMs, floorMs), at: now };
  const elapsed = Math.max(0, now - prev.at);
  const counted = Math.max(0, prev.ms - elapsed);
  const weight = 1 - Math.exp(-elapsed / ETA_SMOOTHING_MS);
  return { ms: Math.max(floorMs, counted + weight * (rawMs - counted)), at: now };
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

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * The progress line for `s` with the ETA `etaMs`, cut to `columns - 1` characters when given (a wrapped
 * line cannot be redrawn).
 */
export function renderProgress(s: ProgressState, etaMs: number, columns?: number): string {
  const apps = Object.values(s.apps);
  const planned = s.appsPlanned ?? apps.length;
  const days = apps.reduce((n, a) => n + a.days, 0);
  const daysDone = apps.reduce((n, a) => n + a.daysDone, 0);
  const parts: string[] = [];
  if (planned > 1) {
    const done = apps.filter((a) => a.done).length;
    parts.push(`${done}/${planned} apps, ${apps.length - done} in flight`);
  }
  parts.push(`${daysDone}/${days} days`);
  const left = remainingCalls(s);
  const eta =
    left === 0
      ? 'finishing'
      : `ETA ${formatDuration(etaMs)} (~${plural(left, 'call')} at ${s.budget.calls}/${perInterval(s.budget.intervalMs)})`;
  const windows = `${plural(s.windowsComplete, 'window')} complete${s.windowsIncomplete > 0 ? `, ${s.windowsIncomplete} incomplete` : ''}`;
  const line =
    `${s.label}: ${parts.join(', ')}, ${eta}; ${windows}, ${plural(s.pages, 'page')}, ${s.entriesSeen} read, ` +
    `${s.entriesNew} new entries, ${s.searchCalls} calls`;
  if (columns === undefined || columns <= 1 || line.length <= columns - 1) return line;
  return `${line.slice(0, Math.max(0, columns - 2))}…`;
}

const CLEAR_LINE = '\x1b[2K';

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
  pageSize: number;
  /** The budget of apps whose app-started names none. */
  budget: Budget;
  now: () => number;
}

/** Follows one export pass through its events (subscribe {@link ExportProgress.listener}) and draws its line. */
export class ExportProgress {
  private readonly s: ProgressState;
  private eta: Eta | undefined;
  private finished = false;

  constructor(private readonly o: ExportProgressOptions) {
    this.s = initialProgress({ label: o.label, startedAt: o.now(), budget: o.budget, pageSize: o.pageSize });
  }

  readonly listener = (e: ExportEvent): void => {
    followEvent(this.s, e);
    this.update();
  };

  /** What the line shows now. */
  state(): Readonly<ProgressState> {
    return this.s;
  }

  /** The ETA as the line shows it now (smoothed, and no shorter than the known waits). */
  etaMs(): number {
    const now = this.o.now();
    this.eta = smoothEta(this.eta, rawEtaMs(this.s, now), etaFloorMs(this.s, now), now);
    return this.eta.ms;
  }

  /** Redraws the line when a draw is due. */
  update(): void {
    // Before its first app starts, a pass has nothing to show.
    if (this.finished || Object.keys(this.s.apps).length === 0 || !this.o.line.due()) return;
    this.o.line.draw(renderProgress(this.s, this.etaMs()));
  }

  /** Removes the line for good (before the summary is printed and the database closed). */
  finish(): void {
    this.finished = true;
    this.o.line.clear();
  }
}
