import type { AsyncStateStore } from '../store/async-store.js';
import type { CstDay } from '../wechat/cst-day.js';

/**
 * Which CST days the server serves, learnt per app (docs/real-api.md, "Retention"). WeChat's documents
 * say 7 days, 3 days, or 7, 14 or 30 by plan: wxlog assumes none. A day refused with 200002 for a valid
 * window is unavailable, and so is every older one: the boundary only moves forward as days pass. Days at
 * or before the boundary cost no call, except that the newest of them is asked again once per CST day, in
 * case the plan changed and the server now serves more.
 */
export interface RetentionPlan {
  /** Days known to be refused: recorded as unavailable without a call. */
  skip: CstDay[];
  /** The newest refused day, to ask once more before the others (a new CST day since the last probe). */
  probe: CstDay | undefined;
  /** Days to read. */
  read: CstDay[];
}

interface Kept {
  /** The newest day the server refused. */
  refused: CstDay;
  /** The CST day that refusal was last confirmed on. */
  on: CstDay;
}

/** Splits `days` (oldest first) by what is known of the boundary `kept`, on CST day `today`. */
export function planRetention(days: readonly CstDay[], kept: Kept | undefined, today: CstDay): RetentionPlan {
  if (kept === undefined) return { skip: [], probe: undefined, read: [...days] };
  const skip = days.filter((d) => d <= kept.refused);
  const read = days.filter((d) => d > kept.refused);
  const probe = kept.on === today ? undefined : skip.at(-1);
  return { skip: skip.filter((d) => d !== probe), probe, read };
}

export class RetentionBoundary {
  /** The boundary learnt for `appid`, read from the state table. */
  static async load(state: AsyncStateStore, appid: string, now: () => number): Promise<RetentionBoundary> {
    const key = `retention:${appid}`;
    return new RetentionBoundary(state, key, now, parseKept(await state.get(key)));
  }

  /** Use `load`. */
  private constructor(
    private readonly state: AsyncStateStore,
    private readonly key: string,
    private readonly now: () => number,
    private kept: Kept | undefined,
  ) {}

  plan(days: readonly CstDay[], today: CstDay): RetentionPlan {
    return planRetention(days, this.kept, today);
  }

  /** The newest day known to be refused, if any. */
  get newestRefused(): CstDay | undefined {
    return this.kept?.refused;
  }

  /** The server refused `date` on `today`. */
  async refused(date: CstDay, today: CstDay): Promise<void> {
    const refused = this.kept === undefined || date > this.kept.refused ? date : this.kept.refused;
    await this.keep({ refused, on: today });
  }

  /** The server served `date`: where that is at or before the boundary, the plan changed; forget it. */
  async served(date: CstDay): Promise<void> {
    if (this.kept === undefined || date > this.kept.refused) return;
    this.kept = undefined;
    await this.state.set(this.key, 'null', Math.floor(this.now() / 1000));
  }

  private async keep(kept: Kept): Promise<void> {
    this.kept = kept;
    await this.state.set(this.key, JSON.stringify(kept), Math.floor(this.now() / 1000));
  }
}

function parseKept(text: string | undefined): Kept | undefined {
  try {
    const parsed = text === undefined ? undefined : (JSON.parse(text) as Partial<Kept>);
    if (typeof parsed?.refused === 'string' && typeof parsed.on === 'string')
      return { refused: parsed.refused, on: parsed.on };
  } catch {
    // A row that is not ours to read: nothing is known.
  }
  return undefined;
}
