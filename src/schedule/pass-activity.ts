import type { BudgetWaitReason, ExportEvent } from '../events/export-events.js';
import { formatCst } from '../wechat/cst-day.js';

const REASON_WORDS: Record<BudgetWaitReason, string> = {
  budget: 'its own calls filled the interval',
  shared: 'another process sharing the database is calling',
  'rate-limited': 'holding back after a 200010',
};

/** What a running pass is doing, for the line a skipped tick logs: why the pass is taking long. */
export interface PassActivityReport {
  /** One clause, e.g. `1 of 3 apps in flight (wx…); waiting for the rate budget of wx… until 12:03:15 CST (…)`. */
  why: string;
  fields: Record<string, unknown>;
}

/**
 * Follows the export events of the current pass (subscribe {@link PassActivity.listener}): apps in flight,
 * the budget waits in progress, the requests made. The daemon asks it why a pass still runs.
 */
export class PassActivity {
  private passStartedAt: number | null = null;
  private appsPlanned: number | null = null;
  private appsDone = 0;
  private readonly inFlight = new Set<string>();
  private readonly waits = new Map<string, { reason: BudgetWaitReason; untilMs: number }>();
  private searchCalls = 0;
  private lastRequestAt: number | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  readonly listener = (e: ExportEvent): void => {
    switch (e.type) {
      case 'pass-started':
        this.passStartedAt = e.at;
        this.appsPlanned = e.apps;
        this.appsDone = 0;
        this.searchCalls = 0;
        this.inFlight.clear();
        this.waits.clear();
        break;
      case 'app-started':
        this.passStartedAt ??= e.at;
        this.inFlight.add(e.appid);
        break;
      case 'app-done':
        this.appsDone += 1;
        this.inFlight.delete(e.appid);
        this.waits.delete(e.appid);
        break;
      case 'budget-waiting':
        this.waits.set(e.appid, { reason: e.reason, untilMs: e.untilMs });
        break;
      case 'budget-wait':
        this.waits.delete(e.appid);
        break;
      case 'request':
        if (e.api === 'search') this.searchCalls += 1;
        this.lastRequestAt = this.now();
        break;
      case 'pass-done':
        this.passStartedAt = null;
        this.appsPlanned = null;
        this.inFlight.clear();
        this.waits.clear();
        break;
      default:
        break;
    }
  };

  /** Why the pass in hand is still running, as far as its events tell. */
  report(): PassActivityReport {
    const now = this.now();
    const clauses: string[] = [];
    const apps = [...this.inFlight];
    const planned = this.appsPlanned;
    if (planned !== null && planned > 1) {
      clauses.push(`${this.appsDone} of ${planned} apps done, ${apps.length} in flight${listed(apps)}`);
    } else if (apps.length > 0) {
      clauses.push(`exporting ${apps.join(', ')}`);
    }
    const waits = [...this.waits].filter(([, w]) => w.untilMs > now).sort((a, b) => b[1].untilMs - a[1].untilMs);
    const longest = waits[0];
    if (longest) {
      const [appid, w] = longest;
      const others = waits.length > 1 ? ` and ${waits.length - 1} more app${waits.length > 2 ? 's' : ''}` : '';
      clauses.push(
        `waiting for the rate budget of ${appid}${others} until ${formatCst(w.untilMs / 1000).slice(11)} CST (${REASON_WORDS[w.reason]})`,
      );
    }
    clauses.push(`${this.searchCalls} search calls so far`);
    return {
      why: clauses.join('; '),
      fields: {
        runningForMs: this.passStartedAt === null ? undefined : now - this.passStartedAt,
        appsInFlight: apps.length,
        ...(planned !== null && { appsPlanned: planned, appsDone: this.appsDone }),
        searchCalls: this.searchCalls,
        ...(longest && {
          waitingForBudgetUntil: new Date(longest[1].untilMs).toISOString(),
          waitReason: longest[1].reason,
        }),
        lastRequestAgoMs: this.lastRequestAt === null ? undefined : now - this.lastRequestAt,
      },
    };
  }
}

function listed(apps: string[]): string {
  if (apps.length === 0) return '';
  const shown = apps.slice(0, 3).join(', ');
  return ` (${shown}${apps.length > 3 ? `, +${apps.length - 3}` : ''})`;
}
