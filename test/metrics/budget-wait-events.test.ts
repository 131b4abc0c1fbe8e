import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExportEvents, type ExportEvent } from '../../src/events/export-events.js';
import { RateBudget } from '../../src/export/rate-budget.js';
import { Store } from '../../src/store/store.js';
import { WechatError } from '../../src/wechat/errors.js';
import { resolveRetryPolicy } from '../../src/wechat/retry-policy.js';
import { withRetries, type RetryEvent } from '../../src/wechat/with-retries.js';
import { tempDir } from '../helpers/temp-dir.js';
import { recordingLogger } from '../schedule/recording-logger.js';

// 2026-12-02 08:00:00 CST
const T0 = Date.parse('2026-12-02T00:00:00Z');

/** A clock that only moves when a waiter sleeps: waits are checked at exact instants. */
function fakeClock(start = T0) {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
    advance: (ms: number) => (now += ms),
  };
}

function setup(limit = 2, intervalMs = 10_000) {
  const store = Store.open(join(tempDir(), 'wxlog.db'));
  const clock = fakeClock();
  const events = new ExportEvents();
  const seen: ExportEvent[] = [];
  events.on((e) => seen.push(e));
  const { logger, lines } = recordingLogger();
  const budget = new RateBudget({
    requests: store.requests,
    appid: 'wxa',
    limit,
    intervalMs,
    events,
    logger,
    ...clock,
  });
  return { store, clock, budget, seen, lines };
}

describe('the rate budget explains its waits', () => {
  it('emits budget-waiting before and budget-wait after a wait its own calls caused, and logs why and until when', async () => {
    const { budget, seen, lines, clock } = setup();
    await budget.acquire();
    await budget.acquire();
    expect(seen).toEqual([]);
    await budget.acquire();
    const [waiting, waited] = seen;
    expect(waiting).toMatchObject({ type: 'budget-waiting', appid: 'wxa', reason: 'budget' });
    expect(waited).toMatchObject({ type: 'budget-wait', appid: 'wxa', reason: 'budget', untilMs: clock.now() });
    // 10 s and the span's margin of 200 ms, plus 1 ms.
    expect(waited?.type === 'budget-wait' && waited.waitedMs).toBe(10_201);
    expect(lines).toEqual([
      {
        level: 'info',
        msg: "waiting for the rate budget until 2026-12-02 08:00:10 CST: this process's own calls filled the interval",
        fields: { reason: 'budget', waitMs: 10_201, until: '2026-12-02T00:00:10.201Z' },
      },
    ]);
  });

  it('logs nothing for a wait of 2 s or less', async () => {
    const { budget, seen, lines } = setup(1, 1000);
    await budget.acquire();
    await budget.acquire();
    expect(seen.map((e) => e.type)).toEqual(['budget-waiting', 'budget-wait']);
    expect(lines).toEqual([]);
  });

  it('says shared when calls of another process fill the interval', async () => {
    const { store, budget, seen, lines, clock } = setup();
    // Another process's calls, as it records them in the shared request log.
    expect(store.requests.tryTake('wxa', clock.now() - 100, 2, 10_200)).toBe(0);
    expect(store.requests.tryTake('wxa', clock.now() - 50, 2, 10_200)).toBe(0);
    await budget.acquire();
    expect(seen[0]).toMatchObject({ type: 'budget-waiting', reason: 'shared' });
    expect(lines[0]?.msg).toMatch(/calls of another process sharing the database are in the interval$/);
  });

  it('says rate-limited while it holds back after a 200010, and expects that wait', async () => {
    const { budget, seen, lines } = setup(10, 80_000);
    await budget.acquire();
    budget.onRateLimited();
    // An eighth of the interval.
    expect(budget.expectedWaitMs()).toBe(10_000);
    await budget.acquire();
    expect(seen[0]).toMatchObject({ type: 'budget-waiting', reason: 'rate-limited' });
    expect(seen[1]).toMatchObject({ type: 'budget-wait', reason: 'rate-limited', waitedMs: 10_000 });
    expect(lines[0]?.msg).toMatch(
      /until 2026-12-02 08:00:10 CST: holding back after WeChat refused a call with 200010/,
    );
  });

  it('expects no wait with budget left, and the rest of the interval without', async () => {
    const { budget, clock } = setup(2, 10_000);
    expect(budget.expectedWaitMs()).toBe(0);
    await budget.acquire();
    await budget.acquire();
    clock.advance(4000);
    expect(budget.expectedWaitMs()).toBe(10_200 - 4000 + 1);
  });
});

describe('a retry logs its real delay', () => {
  it("reports the gate's wait when it is longer than the table's backoff", async () => {
    const retries: RetryEvent[] = [];
    const policy = resolveRetryPolicy();
    let calls = 0;
    await withRetries(
      policy,
      async () => {
        calls += 1;
        if (calls === 1)
          throw new WechatError('userlog_search: rate limited: errcode 200010', { kind: 'rate', api: 'search' });
        return 'page';
      },
      {
        api: 'search',
        atOnce: new Set(['rate']),
        gateDelayMs: () => 15_000,
        sleep: async () => undefined,
        onRetry: (e) => retries.push(e),
      },
    );
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ delayMs: 15_000, backoffMs: 0, gateMs: 15_000 });
  });
});
