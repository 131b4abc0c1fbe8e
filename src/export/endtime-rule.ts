import type { AsyncStateStore } from '../store/async-store.js';

/**
 * Whether the server counts entries at `endtime` itself. WeChat's document does not say
 * (docs/real-api.md). Either way wxlog's ledger windows are the seconds [begintime, endtime] they cover;
 * what changes is how a window is asked for, and where a window may be cut without losing the second at
 * the cut. wxlog learns the rule from what the server serves, once per app, and keeps it.
 */
export type EndtimeRule = 'inclusive' | 'exclusive';

/** How to ask for the ledger window [begin, end] of a CST day whose last second is `dayEnd`. */
export interface WindowRequest {
  begintime: number;
  endtime: number;
  /** The last second such a request can return: `end`, or `dayEnd - 1` for a day's last window when exclusive. */
  last: number;
}

/**
 * The request for a ledger window. With an exclusive endtime, [begin, end] is asked as endtime = end + 1;
 * the day's last second cannot be asked for at all (endtime must lie inside the day), so a window ending
 * there reaches only the second before. An unknown rule is treated as exclusive: asking one second more
 * than needed can only make a window look short (and be read again), never lose the second at a cut.
 */
export function windowRequest(
  begin: number,
  end: number,
  dayEnd: number,
  rule: EndtimeRule | undefined,
): WindowRequest {
  if (rule === 'inclusive') return { begintime: begin, endtime: end, last: end };
  const endtime = Math.min(end + 1, dayEnd);
  return { begintime: begin, endtime, last: endtime - 1 };
}

/** The least span of a window's parts (see window-split.ts): a one-second window can be asked for only when exclusive. */
export function minSpanOf(rule: EndtimeRule | undefined): number {
  return rule === 'inclusive' ? 1 : 0;
}

/**
 * What a probe of [second - 1, second] says, knowing an entry stamped `second` exists: inclusive when
 * one came back, exclusive when the whole answer came back without one, nothing when the answer was cut.
 */
export function judgeProbe(second: number, served: readonly (number | null)[], total: number): EndtimeRule | undefined {
  if (served.includes(second)) return 'inclusive';
  return served.length >= total ? 'exclusive' : undefined;
}

/** The rule learnt for an app, kept in the database's state table. */
export class EndtimeKnowledge {
  /** The rule learnt for `appid`, read from the state table. */
  static async load(state: AsyncStateStore, appid: string, now: () => number): Promise<EndtimeKnowledge> {
    const key = `endtime:${appid}`;
    const kept = await state.get(key);
    return new EndtimeKnowledge(state, key, now, kept === 'inclusive' || kept === 'exclusive' ? kept : undefined);
  }

  /** Use `load`. */
  private constructor(
    private readonly state: AsyncStateStore,
    private readonly key: string,
    private readonly now: () => number,
    private rule: EndtimeRule | undefined,
  ) {}

  get known(): EndtimeRule | undefined {
    return this.rule;
  }

  /** Learns `rule` and keeps it; false when it was known already. */
  async learn(rule: EndtimeRule): Promise<boolean> {
    if (this.rule === rule) return false;
    this.rule = rule;
    await this.state.set(this.key, rule, Math.floor(this.now() / 1000));
    return true;
  }
}
