import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ExportEvent } from '../events/export-events.js';

/** Where an app stands after the events seen so far: the `state` label of `wxlog_apps`. */
export type AppMetricState = 'running' | 'complete' | 'incomplete' | 'failed';

const APP_STATES: readonly AppMetricState[] = ['running', 'complete', 'incomplete', 'failed'];

export interface ExportMetrics {
  /** Holds every wxlog metric and the process's default metrics; serve `registry.metrics()`. */
  registry: Registry;
  /** Subscribe this to an `ExportEvents`: the metrics follow from the events alone. */
  listener: (event: ExportEvent) => void;
  /**
   * Forgets every series of an app not in `appids` (an app no longer configured), so that a platform
   * that removes apps does not keep their series for ever.
   */
  retainApps(appids: Iterable<string>): void;
}

export interface ExportMetricsOptions {
  /** prom-client's default process and Node.js metrics in the same registry; default true. */
  defaultMetrics?: boolean;
}

type Labels = Record<string, string>;
type AppSeries = { remove(labels: Labels): void };

/**
 * The metrics of docs/operations.md, kept from the export event stream (src/events/export-events.ts) in a
 * registry of their own (never prom-client's global one, which other code in the process could fill).
 */
export function createMetrics(options: ExportMetricsOptions = {}): ExportMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const searchRequests = new Counter({
    name: 'wxlog_search_requests_total',
    help: 'HTTP requests to userlog_search, retries and aborted ones included; result is ok, the error kind (token, rate, transient, quota, fatal, params), or aborted.',
    labelNames: ['appid', 'result'] as const,
    registers,
  });
  const requests = new Counter({
    name: 'wxlog_requests_total',
    help: 'HTTP requests to every WeChat API (search, scenes, quota, token), by outcome.',
    labelNames: ['appid', 'api', 'result'] as const,
    registers,
  });
  const tokenRequests = new Counter({
    name: 'wxlog_token_requests_total',
    help: 'HTTP requests to the token endpoints (stable_token, token); result is ok, the error kind, or aborted.',
    labelNames: ['appid', 'result'] as const,
    registers,
  });
  const tokenFetches = new Counter({
    name: 'wxlog_token_fetches_total',
    help: 'Access tokens obtained (result ok), or fetches given up on after their retries (result error).',
    labelNames: ['appid', 'result'] as const,
    registers,
  });
  const searchDuration = new Histogram({
    name: 'wxlog_search_request_duration_seconds',
    help: 'Time from sending a userlog_search request to having read its answer or to its abort (rate budget waits excluded).',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const entriesStored = new Counter({
    name: 'wxlog_entries_stored_total',
    help: 'Log entries newly stored (entries already stored are not counted again).',
    labelNames: ['appid'] as const,
    registers,
  });
  const entriesRead = new Counter({
    name: 'wxlog_entries_read_total',
    help: 'Log entries read from WeChat, stored before or not.',
    labelNames: ['appid'] as const,
    registers,
  });
  const windowsIncomplete = new Gauge({
    name: 'wxlog_windows_incomplete',
    help: "Leaf windows not complete after the app's last pass.",
    labelNames: ['appid'] as const,
    registers,
  });
  const lastSuccess = new Gauge({
    name: 'wxlog_last_success_timestamp_seconds',
    help: "Unix time at which the app's last pass with every served day complete ended.",
    labelNames: ['appid'] as const,
    registers,
  });
  const budgetWait = new Counter({
    name: 'wxlog_rate_budget_wait_seconds_total',
    help: 'Time search requests spent waiting for the rate budget.',
    labelNames: ['appid'] as const,
    registers,
  });
  const budgetWaits = new Counter({
    name: 'wxlog_rate_budget_waits_total',
    help: "Waits for the rate budget, by reason: budget (this process's calls), shared (another process's calls), rate-limited (after a 200010).",
    labelNames: ['appid', 'reason'] as const,
    registers,
  });
  const budgetLimit = new Gauge({
    name: 'wxlog_rate_budget_calls_per_minute',
    help: "The app's rate budget for userlog_search, in calls per minute.",
    labelNames: ['appid'] as const,
    registers,
  });
  const passDuration = new Histogram({
    name: 'wxlog_pass_duration_seconds',
    help: 'Duration of export passes (every app of the pass).',
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200],
    registers,
  });
  const passes = new Counter({
    name: 'wxlog_passes_total',
    help: 'Export passes ended, by exit code (docs/exit-codes.md).',
    labelNames: ['exit_code'] as const,
    registers,
  });
  const passRunning = new Gauge({
    name: 'wxlog_pass_running',
    help: '1 while an export pass runs, else 0.',
    registers,
  });
  const apps = new Gauge({
    name: 'wxlog_apps',
    help: 'Apps by where their last pass left them: running, complete, incomplete, failed.',
    labelNames: ['state'] as const,
    registers,
  });
  passRunning.set(0);
  for (const state of APP_STATES) apps.set({ state }, 0);

  // Every label set used per app, so that retainApps can remove them all (prom-client removes a series
  // only by its full label set).
  const seriesOf = new Map<string, Map<AppSeries, Map<string, Labels>>>();
  const states = new Map<string, AppMetricState>();
  const track = (appid: string, metric: AppSeries, labels: Labels): void => {
    const byMetric = seriesOf.get(appid) ?? new Map<AppSeries, Map<string, Labels>>();
    seriesOf.set(appid, byMetric);
    const sets = byMetric.get(metric) ?? new Map<string, Labels>();
    byMetric.set(metric, sets);
    sets.set(JSON.stringify(labels), labels);
  };
  const inc = (metric: Counter<string>, labels: Labels & { appid: string }, by = 1): void => {
    track(labels.appid, metric, labels);
    metric.inc(labels, by);
  };
  const set = (metric: Gauge<string>, appid: string, value: number): void => {
    track(appid, metric, { appid });
    metric.set({ appid }, value);
  };
  const countStates = (): void => {
    const counts = new Map<AppMetricState, number>(APP_STATES.map((s) => [s, 0]));
    for (const s of states.values()) counts.set(s, (counts.get(s) ?? 0) + 1);
    for (const [state, n] of counts) apps.set({ state }, n);
  };

  const listener = (e: ExportEvent): void => {
    switch (e.type) {
      case 'request':
        inc(requests, { appid: e.appid, api: e.api, result: e.result });
        if (e.api === 'search') {
          inc(searchRequests, { appid: e.appid, result: e.result });
          searchDuration.observe(e.durationMs / 1000);
        } else if (e.api === 'token') inc(tokenRequests, { appid: e.appid, result: e.result });
        break;
      case 'token':
        inc(tokenFetches, { appid: e.appid, result: e.result });
        break;
      case 'page-stored':
        inc(entriesStored, { appid: e.appid }, e.entriesNew);
        inc(entriesRead, { appid: e.appid }, e.entriesSeen);
        break;
      case 'budget-wait':
        inc(budgetWait, { appid: e.appid }, e.waitedMs / 1000);
        inc(budgetWaits, { appid: e.appid, reason: e.reason });
        break;
      case 'app-started':
        if (e.budget) set(budgetLimit, e.appid, (e.budget.calls * 60_000) / e.budget.intervalMs);
        states.set(e.appid, 'running');
        countStates();
        break;
      case 'app-done':
        set(windowsIncomplete, e.appid, e.windowsIncomplete);
        if (e.complete) set(lastSuccess, e.appid, e.finishedAt / 1000);
        // Exit codes (docs/exit-codes.md): 1 is incomplete, the next pass continues; 2 and above need a look.
        states.set(e.appid, e.complete ? 'complete' : e.exitCode >= 2 ? 'failed' : 'incomplete');
        countStates();
        break;
      case 'pass-started':
        passRunning.set(1);
        break;
      case 'pass-done':
        passRunning.set(0);
        passDuration.observe(Math.max(0, e.finishedAt - e.startedAt) / 1000);
        passes.inc({ exit_code: String(e.exitCode) });
        break;
      case 'budget-waiting':
      case 'window-settled':
      case 'day-done':
        break;
    }
  };

  const retainApps = (appids: Iterable<string>): void => {
    const keep = new Set(appids);
    for (const [appid, byMetric] of seriesOf) {
      if (keep.has(appid)) continue;
      for (const [metric, sets] of byMetric) for (const labels of sets.values()) metric.remove(labels);
      seriesOf.delete(appid);
    }
    for (const appid of states.keys()) if (!keep.has(appid)) states.delete(appid);
    countStates();
  };

  return { registry, listener, retainApps };
}
