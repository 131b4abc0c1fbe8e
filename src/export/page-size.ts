import type { AsyncStateStore } from '../store/async-store.js';
import { cstDayOf } from '../wechat/cst-day.js';

/**
 * The `limit` to send. WeChat does not document the largest it accepts (docs/real-api.md). A server that
 * serves fewer than asked costs nothing (paging advances by what came back). A server that refuses a size
 * with 200002 has its ceiling searched between the largest size it served and the smallest it refused:
 * first down a ladder of round sizes (ceilings are round numbers in practice), then one size 5% above
 * the round size served (a round ceiling is confirmed by that one refusal), then by bisection until the
 * two are within 5%. What was learnt is kept per app, and the smallest refused size is tried again once
 * per CST day, in case the ceiling rose. Only one request at a time tests a size not yet served: windows
 * read side by side would otherwise each pay for the same refusals.
 */

/** Round sizes tried, largest first, until one is served. */
const LADDER = [1000, 500, 300, 200, 100, 50, 20, 10, 5, 2, 1] as const;
/** Bisection stops when the smallest refused size is within this factor of the largest served one. */
const CLOSE_ENOUGH = 1.05;

/** What is known of an app's ceiling: sizes served and refused (0 and Infinity: none yet). */
export interface PageSizeBounds {
  served: number;
  refused: number;
}

/**
 * The next size to ask for, given what is known and how many entries of the window in hand are still to
 * read (0 when unknown): the configured size while nothing was refused; the largest size served when the
 * ceiling is known closely enough, or when a larger size would spare no more than the one call a refused
 * try costs (so a new run starts at a size proven served, and searches on only where it pays);
 * else the next rung of the ladder below the smallest refused size, else a bisection step.
 */
export function nextPageSize(configured: number, bounds: PageSizeBounds, remaining = 0): number {
  const { served, refused } = bounds;
  if (refused > configured) return configured;
  if (served >= refused - 1 || refused <= Math.ceil(served * CLOSE_ENOUGH)) return Math.max(1, served);
  if (served === 0) return LADDER.find((size) => size < refused) ?? 1;
  if (Math.ceil(remaining / served) - Math.ceil(remaining / (refused - 1)) < 2) return served;
  const rung = LADDER.find((size) => size > served && size < refused);
  if (rung !== undefined) return rung;
  // Bisecting from a served 500 towards a refused 1000 costs five refusals when the ceiling is 500 itself
  // (750, 625, 562, 531, 515): asking just above a round size first settles the usual case with one.
  if ((LADDER as readonly number[]).includes(served)) return Math.ceil(served * CLOSE_ENOUGH);
  return Math.floor((served + refused) / 2);
}

interface Kept extends PageSizeBounds {
  /** The CST day the bounds were last confirmed; a new day tries the refused size once more. */
  day: string;
}

export class PageSize {
  private bounds: PageSizeBounds = { served: 0, refused: Infinity };
  private size: number;
  /** The most entries one page ever came with when fewer than asked were served and more remained. */
  private cap = Infinity;
  private readonly key: string;
  private day: string;
  /** Settles when the request testing a size not yet served has its answer (see `turn`). */
  private testing: Promise<void> | undefined;

  /** The text last kept in the state table (a write is skipped when nothing changed). */
  private keptText: string | undefined;
  /** Writes of the state row, in the order made: pages read side by side must not reorder them. */
  private writing: Promise<void> = Promise.resolve();

  /** What was learnt for `appid`, read from the state table. */
  static async load(state: AsyncStateStore, appid: string, configured: number, now: () => number): Promise<PageSize> {
    return new PageSize(state, appid, configured, now, await state.get(pageSizeKey(appid)));
  }

  /** Use `load`; `keptText` is the state row as read. */
  private constructor(
    private readonly state: AsyncStateStore,
    appid: string,
    private readonly configured: number,
    private readonly now: () => number,
    keptText: string | undefined,
  ) {
    this.key = pageSizeKey(appid);
    this.keptText = keptText;
    this.day = this.today();
    const kept = parseKept(keptText);
    const usable = kept !== undefined && kept.refused <= configured;
    if (usable) {
      this.bounds = { served: Math.min(kept.served, configured), refused: kept.refused };
      this.day = kept.day;
    }
    // Once a CST day, ask the smallest refused size again: the server may take it now.
    this.size = usable && kept.day !== this.today() ? kept.refused : nextPageSize(configured, this.bounds);
  }

  /** The `limit` to send now. */
  get current(): number {
    return this.size;
  }

  /** The most entries a page is expected to hold: `current`, or less where the server caps pages silently. */
  get effective(): number {
    return Math.min(this.size, this.cap);
  }

  /**
   * Waits until no other request is testing a size not yet served. Returns a release to call once the
   * caller's answer is recorded when `current` is itself untested (the caller then tests it), else
   * undefined: the size is proven and requests at it run side by side.
   */
  async turn(): Promise<(() => void) | undefined> {
    while (this.testing !== undefined) await this.testing;
    if (this.isProven(this.size)) return undefined;
    let release = (): void => {};
    this.testing = new Promise<void>((resolve) => {
      release = () => {
        this.testing = undefined;
        resolve();
      };
    });
    return release;
  }

  /** True when `limit` is known to be served, so that a refusal at it is about something else. */
  isProven(limit: number): boolean {
    return limit <= this.bounds.served;
  }

  /** True once some size was served: a refusal at it can only be about something else. */
  get anyProven(): boolean {
    return this.bounds.served > 0;
  }

  /**
   * A page asked at `limit` came back with `returned` entries, and `remaining` entries of the window
   * are left after it (they decide whether searching for a larger size can pay).
   */
  async served(limit: number, returned: number, remaining: number): Promise<void> {
    if (remaining > 0 && returned < limit && returned > 0) this.cap = Math.min(this.cap, returned);
    if (limit >= this.bounds.refused) {
      // A size served at or above one refused earlier: the ceiling rose; search upwards again.
      this.bounds.refused = Infinity;
    } else if (limit <= this.bounds.served && this.day === this.today()) {
      this.size = nextPageSize(this.configured, this.bounds, remaining);
      return;
    }
    this.bounds.served = Math.max(this.bounds.served, limit);
    this.day = this.today();
    this.size = nextPageSize(this.configured, this.bounds, remaining);
    await this.keep();
  }

  /**
   * A page asked at `limit` was refused with 200002, `remaining` entries of the window being left to
   * read. Returns the size to try next, or null when the refusal cannot be about the size (the size is
   * proven, or even one entry was refused).
   */
  async refused(limit: number, remaining = 0): Promise<number | null> {
    if (this.isProven(limit)) return null;
    if (limit <= 1) return null;
    this.bounds.refused = Math.min(this.bounds.refused, limit);
    this.day = this.today();
    this.size = nextPageSize(this.configured, this.bounds, remaining);
    const size = this.size;
    await this.keep();
    return size;
  }

  private today(): string {
    return cstDayOf(Math.floor(this.now() / 1000));
  }

  private keep(): Promise<void> {
    const refused = Number.isFinite(this.bounds.refused) ? this.bounds.refused : null;
    const text = JSON.stringify({ served: this.bounds.served, refused, day: this.day });
    if (this.keptText !== text) {
      this.keptText = text;
      const at = Math.floor(this.now() / 1000);
      this.writing = this.writing.then(() => this.state.set(this.key, text, at));
    }
    return this.writing;
  }
}

function pageSizeKey(appid: string): string {
  return `page_size:${appid}`;
}

function parseKept(text: string | undefined): Kept | undefined {
  if (text === undefined) return undefined;
  try {
    const kept = JSON.parse(text) as Partial<Kept>;
    const served = Number(kept.served);
    const refused = kept.refused === null ? Infinity : Number(kept.refused);
    if (!Number.isInteger(served) || served < 0 || !(refused > served) || typeof kept.day !== 'string')
      return undefined;
    return { served, refused, day: kept.day };
  } catch {
    return undefined;
  }
}
