import type { StateStore } from '../store/state-store.js';

/** The smallest page size wxlog halves down to when the server refuses a `limit` (SPEC §1). */
export const MIN_PAGE_SIZE = 20;

/**
 * The `limit` to send. WeChat does not document the largest it accepts: a 200002 on a valid window halves
 * it (not below 20) and the size that then works is remembered in the database for later runs.
 */
export class PageSize {
  private size: number;
  private readonly key: string;

  constructor(
    private readonly state: StateStore,
    appid: string,
    private readonly configured: number,
    private readonly now: () => number,
  ) {
    this.key = `page_size:${appid}:${configured}`;
    const learnt = state.getNumber(this.key);
    this.size = learnt !== undefined && learnt >= Math.min(MIN_PAGE_SIZE, configured) && learnt <= configured ? learnt : configured;
  }

  get current(): number {
    return this.size;
  }

  /**
   * Halves the size after a refusal of `refused`; false when it cannot go lower. A refusal of a size
   * already halved below (by a concurrent read) only means: retry at the current size.
   */
  halve(refused: number): boolean {
    if (refused > this.size) return true;
    const next = Math.max(Math.min(MIN_PAGE_SIZE, this.configured), Math.floor(this.size / 2));
    if (next >= this.size) return false;
    this.size = next;
    return true;
  }

  /** Goes back to `size` (the refusal turned out not to be about the page size). */
  restore(size: number): void {
    this.size = size;
  }

  /** A request at the current size was served: keep the size if it was learnt. */
  confirm(): void {
    if (this.size !== this.configured && this.state.getNumber(this.key) !== this.size) {
      this.state.set(this.key, this.size, Math.floor(this.now() / 1000));
    }
  }
}
