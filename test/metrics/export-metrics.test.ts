import { describe, expect, it } from 'vitest';
import type { ExportEvent } from '../../src/events/export-events.js';
import { createMetrics } from '../../src/metrics/export-metrics.js';
import { parseExposition, sumOf, valueOf } from './scrape.js';

const A = 'wx1111111111111111';
const B = 'wx2222222222222222';

/** Two apps in one pass: A completes after a rate refusal and a budget wait; B fails on its token. */
function pass(): ExportEvent[] {
  return [
    { type: 'pass-started', apps: 2, at: 1_000_000 },
    { type: 'app-started', appid: A, days: 7, at: 1_000_000, budget: { calls: 45, intervalMs: 60_000 } },
    { type: 'app-started', appid: B, days: 7, at: 1_000_000 },
    { type: 'request', appid: A, api: 'token', result: 'ok', durationMs: 30 },
    { type: 'token', appid: A, mode: 'stable', result: 'ok' },
    { type: 'request', appid: A, api: 'search', result: 'ok', durationMs: 120 },
    { type: 'request', appid: A, api: 'search', result: 'rate', durationMs: 80 },
    { type: 'budget-waiting', appid: A, reason: 'rate-limited', untilMs: 1_007_500 },
    { type: 'budget-wait', appid: A, waitedMs: 7500, reason: 'rate-limited', untilMs: 1_007_500 },
    { type: 'request', appid: A, api: 'search', result: 'ok', durationMs: 3000 },
    { type: 'request', appid: A, api: 'search', result: 'transient', durationMs: 40 },
    { type: 'budget-wait', appid: A, waitedMs: 1250, reason: 'budget', untilMs: 1_009_000 },
    { type: 'request', appid: A, api: 'search', result: 'ok', durationMs: 200 },
    { type: 'page-stored', appid: A, date: '20261201', entriesSeen: 100, entriesNew: 100 },
    { type: 'page-stored', appid: A, date: '20261201', entriesSeen: 100, entriesNew: 60 },
    { type: 'page-stored', appid: A, date: '20261202', entriesSeen: 30, entriesNew: 0 },
    {
      type: 'day-done',
      appid: A,
      date: '20261201',
      windowsComplete: 1,
      windowsIncomplete: 0,
      stored: 160,
      serverTotal: 160,
      unavailable: false,
      error: null,
    },
    { type: 'request', appid: B, api: 'token', result: 'fatal', durationMs: 25 },
    { type: 'token', appid: B, mode: 'stable', result: 'error' },
    {
      type: 'app-done',
      appid: A,
      exitCode: 0,
      complete: true,
      windowsIncomplete: 0,
      entriesNew: 160,
      searchCalls: 5,
      startedAt: 1_000_000,
      finishedAt: 1_012_345,
      error: null,
    },
    {
      type: 'app-done',
      appid: B,
      exitCode: 3,
      complete: false,
      windowsIncomplete: 7,
      entriesNew: 0,
      searchCalls: 0,
      startedAt: 1_000_000,
      finishedAt: 1_000_500,
      error: 'stable_token: WeChat refused the credentials',
    },
    { type: 'pass-done', exitCode: 1, apps: 2, appsFailed: 1, startedAt: 1_000_000, finishedAt: 1_013_000 },
  ];
}

async function scrape(metrics: ReturnType<typeof createMetrics>) {
  return parseExposition(await metrics.registry.metrics());
}

describe('createMetrics', () => {
  it('keeps the documented metrics from the events alone', async () => {
    const metrics = createMetrics();
    for (const e of pass()) metrics.listener(e);
    const s = await scrape(metrics);

    expect(valueOf(s, 'wxlog_search_requests_total', { appid: A, result: 'ok' })).toBe(3);
    expect(valueOf(s, 'wxlog_search_requests_total', { appid: A, result: 'rate' })).toBe(1);
    expect(valueOf(s, 'wxlog_search_requests_total', { appid: A, result: 'transient' })).toBe(1);
    expect(sumOf(s, 'wxlog_search_requests_total')).toBe(5);
    expect(valueOf(s, 'wxlog_search_request_duration_seconds_count')).toBe(5);
    expect(valueOf(s, 'wxlog_search_request_duration_seconds_sum')).toBeCloseTo(3.44, 6);
    expect(valueOf(s, 'wxlog_search_request_duration_seconds_bucket', { le: '0.1' })).toBe(2);
    expect(valueOf(s, 'wxlog_search_request_duration_seconds_bucket', { le: '+Inf' })).toBe(5);

    expect(valueOf(s, 'wxlog_entries_stored_total', { appid: A })).toBe(160);
    expect(valueOf(s, 'wxlog_entries_read_total', { appid: A })).toBe(230);
    expect(valueOf(s, 'wxlog_windows_incomplete', { appid: A })).toBe(0);
    expect(valueOf(s, 'wxlog_windows_incomplete', { appid: B })).toBe(7);
    expect(valueOf(s, 'wxlog_last_success_timestamp_seconds', { appid: A })).toBe(1012.345);
    // An app that never completed has no last success: an alert on its absence fires.
    expect(valueOf(s, 'wxlog_last_success_timestamp_seconds', { appid: B })).toBeUndefined();
    expect(valueOf(s, 'wxlog_rate_budget_wait_seconds_total', { appid: A })).toBe(8.75);
    expect(valueOf(s, 'wxlog_rate_budget_waits_total', { appid: A, reason: 'rate-limited' })).toBe(1);
    expect(valueOf(s, 'wxlog_rate_budget_waits_total', { appid: A, reason: 'budget' })).toBe(1);
    expect(valueOf(s, 'wxlog_rate_budget_calls_per_minute', { appid: A })).toBe(45);

    expect(valueOf(s, 'wxlog_token_requests_total', { appid: A, result: 'ok' })).toBe(1);
    expect(valueOf(s, 'wxlog_token_requests_total', { appid: B, result: 'fatal' })).toBe(1);
    expect(valueOf(s, 'wxlog_token_fetches_total', { appid: B, result: 'error' })).toBe(1);
    expect(valueOf(s, 'wxlog_requests_total', { appid: A, api: 'search', result: 'ok' })).toBe(3);

    expect(valueOf(s, 'wxlog_pass_duration_seconds_count')).toBe(1);
    expect(valueOf(s, 'wxlog_pass_duration_seconds_sum')).toBe(13);
    expect(valueOf(s, 'wxlog_pass_duration_seconds_bucket', { le: '5' })).toBe(0);
    expect(valueOf(s, 'wxlog_pass_duration_seconds_bucket', { le: '15' })).toBe(1);
    expect(valueOf(s, 'wxlog_passes_total', { exit_code: '1' })).toBe(1);
    expect(valueOf(s, 'wxlog_pass_running')).toBe(0);
    expect(valueOf(s, 'wxlog_apps', { state: 'complete' })).toBe(1);
    expect(valueOf(s, 'wxlog_apps', { state: 'failed' })).toBe(1);
    expect(valueOf(s, 'wxlog_apps', { state: 'running' })).toBe(0);
    // The histograms carry no appid: their series do not grow with the apps.
    for (const sample of s.filter((x) => x.name.startsWith('wxlog_pass_duration') || x.name.includes('duration')))
      expect(sample.labels.appid).toBeUndefined();
  });

  it('counts a request aborted mid-way under result aborted: the sum is every request sent', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.listener({ type: 'request', appid: A, api: 'search', result: 'ok', durationMs: 100 });
    metrics.listener({ type: 'request', appid: A, api: 'search', result: 'aborted', durationMs: 2500 });
    metrics.listener({ type: 'request', appid: A, api: 'token', result: 'aborted', durationMs: 40 });
    const s = await scrape(metrics);
    expect(valueOf(s, 'wxlog_search_requests_total', { appid: A, result: 'aborted' })).toBe(1);
    expect(sumOf(s, 'wxlog_search_requests_total', { appid: A })).toBe(2);
    expect(valueOf(s, 'wxlog_search_request_duration_seconds_count')).toBe(2);
    expect(valueOf(s, 'wxlog_token_requests_total', { appid: A, result: 'aborted' })).toBe(1);
    expect(valueOf(s, 'wxlog_requests_total', { appid: A, api: 'token', result: 'aborted' })).toBe(1);
  });

  it('shows a pass in progress and the apps running', async () => {
    const metrics = createMetrics();
    for (const e of pass().slice(0, 4)) metrics.listener(e);
    const s = await scrape(metrics);
    expect(valueOf(s, 'wxlog_pass_running')).toBe(1);
    expect(valueOf(s, 'wxlog_apps', { state: 'running' })).toBe(2);
  });

  it('forgets the series of apps no longer configured', async () => {
    const metrics = createMetrics();
    for (const e of pass()) metrics.listener(e);
    metrics.retainApps([A]);
    const s = await scrape(metrics);
    expect(s.filter((x) => x.labels.appid === B)).toEqual([]);
    expect(valueOf(s, 'wxlog_entries_stored_total', { appid: A })).toBe(160);
    expect(valueOf(s, 'wxlog_apps', { state: 'failed' })).toBe(0);
    expect(valueOf(s, 'wxlog_apps', { state: 'complete' })).toBe(1);
    // B comes back: its counters start over.
    metrics.listener({ type: 'request', appid: B, api: 'search', result: 'ok', durationMs: 1 });
    expect(valueOf(await scrape(metrics), 'wxlog_search_requests_total', { appid: B, result: 'ok' })).toBe(1);
  });

  it("includes the process's default metrics, each registry its own", async () => {
    const one = createMetrics();
    const two = createMetrics();
    one.listener({ type: 'request', appid: A, api: 'search', result: 'ok', durationMs: 1 });
    const s = await scrape(one);
    expect(valueOf(s, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(valueOf(s, 'process_start_time_seconds')).toBeGreaterThan(0);
    expect(s.some((x) => x.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
    expect(sumOf(await scrape(two), 'wxlog_search_requests_total')).toBe(0);
    expect(one.registry.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('can leave the default metrics out', async () => {
    const s = await scrape(createMetrics({ defaultMetrics: false }));
    expect(s.some((x) => x.name.startsWith('process_'))).toBe(false);
  });
});
