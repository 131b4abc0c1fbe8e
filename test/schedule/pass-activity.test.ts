import { describe, expect, it } from 'vitest';
import { PassActivity } from '../../src/schedule/pass-activity.js';
import { PassRunner } from '../../src/schedule/pass-runner.js';
import { recordingLogger } from './recording-logger.js';

// 2026-12-02 08:00:00 CST
const T0 = Date.parse('2026-12-02T00:00:00Z');

describe('PassActivity', () => {
  it('says which app is exported, what it waits for and until when', () => {
    let now = T0;
    const a = new PassActivity(() => now);
    a.listener({ type: 'pass-started', apps: 1, at: T0 });
    a.listener({ type: 'app-started', appid: 'wxa', days: 7, at: T0 });
    a.listener({ type: 'request', appid: 'wxa', api: 'search', result: 'ok', durationMs: 5 });
    a.listener({ type: 'budget-waiting', appid: 'wxa', reason: 'shared', untilMs: T0 + 75_000 });
    now += 15_000;
    expect(a.report()).toEqual({
      why: 'exporting wxa; waiting for the rate budget of wxa until 08:01:15 CST (another process sharing the database is calling); 1 search calls so far',
      fields: {
        runningForMs: 15_000,
        appsInFlight: 1,
        appsPlanned: 1,
        appsDone: 0,
        searchCalls: 1,
        waitingForBudgetUntil: '2026-12-02T00:01:15.000Z',
        waitReason: 'shared',
        lastRequestAgoMs: 15_000,
      },
    });
    a.listener({ type: 'budget-wait', appid: 'wxa', reason: 'shared', waitedMs: 75_000, untilMs: T0 + 75_000 });
    expect(a.report().why).toBe('exporting wxa; 1 search calls so far');
  });

  it('counts apps done and in flight when a pass has several, and names the longest wait', () => {
    const a = new PassActivity(() => T0);
    a.listener({ type: 'pass-started', apps: 5, at: T0 });
    for (const appid of ['wxa', 'wxb', 'wxc']) a.listener({ type: 'app-started', appid, days: 7, at: T0 });
    a.listener({
      type: 'app-done',
      appid: 'wxa',
      exitCode: 0,
      complete: true,
      windowsIncomplete: 0,
      entriesNew: 0,
      searchCalls: 7,
      startedAt: T0,
      finishedAt: T0,
      error: null,
    });
    a.listener({ type: 'budget-waiting', appid: 'wxb', reason: 'budget', untilMs: T0 + 5000 });
    a.listener({ type: 'budget-waiting', appid: 'wxc', reason: 'rate-limited', untilMs: T0 + 30_000 });
    expect(a.report().why).toBe(
      '1 of 5 apps done, 2 in flight (wxb, wxc); waiting for the rate budget of wxc and 1 more app until 08:00:30 CST (holding back after a 200010); 0 search calls so far',
    );
  });
});

describe('PassRunner', () => {
  it('adds why the pass in hand still runs to the line of a skipped trigger', async () => {
    const { logger, lines } = recordingLogger();
    let release = (): void => undefined;
    const runner = new PassRunner({
      pass: () => new Promise<void>((resolve) => (release = resolve)),
      logger,
      signal: new AbortController().signal,
      explainBusy: () => ({ why: 'exporting wxa', fields: { appsInFlight: 1 } }),
    });
    expect(runner.trigger()).toBe(true);
    expect(runner.trigger({ tick: 'x' })).toBe(false);
    expect(lines).toEqual([
      {
        level: 'info',
        msg: 'pass still running; tick skipped: exporting wxa',
        fields: { tick: 'x', appsInFlight: 1 },
      },
    ]);
    release();
    await runner.idle();
  });
});
