import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createMetrics } from '../src/metrics/export-metrics.js';
import { parseListenAddress } from '../src/config/config-schema.js';
import { envSettings } from '../src/config/env-settings.js';
import { loadApps } from '../src/config/load-apps.js';
import { loadConfig } from '../src/config/load-config.js';

const EXAMPLES = fileURLToPath(new URL('../examples/', import.meta.url));
const files = readdirSync(EXAMPLES).sort();

function read(name: string): string {
  return readFileSync(join(EXAMPLES, name), 'utf8');
}

/** Every document of a YAML file, as plain data; a syntax error fails the test naming the file. */
function yamlDocs(name: string): unknown[] {
  return parseAllDocuments(read(name)).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${name}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS() as unknown;
  });
}

type Tree = Record<string, unknown>;

function asTree(value: unknown): Tree {
  return typeof value === 'object' && value !== null ? (value as Tree) : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The `wxlog_…` metric names a PromQL expression uses (label values and strings left out). */
function metricNames(expr: string): string[] {
  const code = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/'(?:[^'\\]|\\.)*'/g, "''");
  return [...code.matchAll(/\bwxlog_[a-zA-Z0-9_]+/g)].map((m) => m[0]);
}

/** What a registry's metric exposes: histograms as _bucket, _sum and _count too. */
async function exposedNames(): Promise<Set<string>> {
  const metrics = createMetrics({ defaultMetrics: false });
  const names = new Set<string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(m.name + suffix);
  }
  return names;
}

function alertExprs(): { alert: string; expr: string }[] {
  const [doc] = yamlDocs('alerts.yml');
  return list(asTree(doc).groups).flatMap((g) =>
    list(asTree(g).rules).map((r) => ({ alert: String(asTree(r).alert), expr: String(asTree(r).expr) })),
  );
}

function dashboardExprs(): string[] {
  const dash = JSON.parse(read('grafana-dashboard.json')) as Tree;
  const targets = list(dash.panels).flatMap((p) => list(asTree(p).targets).map((t) => String(asTree(t).expr)));
  const variables = list(asTree(dash.templating).list)
    .map((v) => asTree(asTree(v).query).query)
    .filter((q): q is string => typeof q === 'string');
  return [...targets, ...variables];
}

describe('examples', () => {
  it.each(files.filter((f) => /\.ya?ml$/.test(f)))('%s is valid YAML', (name) => {
    expect(yamlDocs(name).length).toBeGreaterThan(0);
  });

  it.each(files.filter((f) => f.endsWith('.json')))('%s is valid JSON', (name) => {
    expect(() => JSON.parse(read(name)) as unknown).not.toThrow();
  });

  it('uses in alerts and the dashboard only metrics createMetrics() builds', async () => {
    const exposed = await exposedNames();
    const used = new Map<string, string>();
    for (const { alert, expr } of alertExprs()) for (const name of metricNames(expr)) used.set(name, `alert ${alert}`);
    for (const expr of dashboardExprs()) for (const name of metricNames(expr)) used.set(name, 'the dashboard');
    expect(used.size).toBeGreaterThanOrEqual(8);
    const unknown = [...used].filter(([name]) => !exposed.has(name)).map(([name, where]) => `${name} (${where})`);
    expect(unknown).toEqual([]);
  });

  it('alerts on the four conditions of docs/operations.md', () => {
    const exprs = alertExprs();
    const find = (re: RegExp): string | undefined => exprs.find((e) => re.test(e.expr))?.alert;
    expect(find(/wxlog_last_success_timestamp_seconds > 3600/)).toBeDefined();
    expect(find(/^wxlog_windows_incomplete > 0$/m)).toBeDefined();
    expect(find(/increase\(wxlog_search_requests_total\{result="rate"\}/)).toBeDefined();
    expect(find(/wxlog_token_fetches_total\{result="error"\}/)).toBeDefined();
    const incomplete = yamlDocs('alerts.yml')
      .flatMap((d) => list(asTree(d).groups))
      .flatMap((g) => list(asTree(g).rules))
      .map(asTree)
      .find((r) => r.alert === 'WxlogWindowsIncomplete');
    expect(incomplete?.for).toBe('2h');
  });

  it('shows calls against the budget, entries stored, incomplete windows and pass duration on the dashboard', () => {
    const joined = dashboardExprs().join('\n');
    for (const name of [
      'wxlog_search_requests_total',
      'wxlog_rate_budget_calls_per_minute',
      'wxlog_entries_stored_total',
      'wxlog_windows_incomplete',
      'wxlog_pass_duration_seconds_bucket',
    ])
      expect(joined).toContain(name);
  });

  it('has Prometheus load the alert rules beside it', () => {
    const [config] = yamlDocs('prometheus.yml');
    for (const file of list(asTree(config).rule_files)) expect(files).toContain(file);
    const jobs = list(asTree(config).scrape_configs).map(asTree);
    expect(jobs.every((j) => j.metrics_path === '/metrics')).toBe(true);
  });

  it('probes /livez and /readyz of the Kubernetes daemon on the port WXLOG_METRICS_ADDR opens', () => {
    const docs = yamlDocs('kubernetes-daemon.yaml').map(asTree);
    const deployment = docs.find((d) => d.kind === 'Deployment');
    const pod = asTree(asTree(asTree(deployment?.spec).template).spec);
    const [container] = list(pod.containers).map(asTree);
    expect(container?.args).toEqual(['daemon']);
    const env = list(container?.env).map(asTree);
    const addr = env.find((e) => e.name === 'WXLOG_METRICS_ADDR')?.value;
    const port = parseListenAddress(String(addr))?.port;
    const ports = list(container?.ports).map(asTree);
    const named = ports.find((p) => p.containerPort === port);
    expect(named?.name).toBeDefined();
    const probe = (kind: string): Tree => asTree(asTree(container?.[kind]).httpGet);
    expect(probe('livenessProbe')).toEqual({ path: '/livez', port: named?.name });
    expect(probe('readinessProbe')).toEqual({ path: '/readyz', port: named?.name });
    // One writer on the claim: never two pods at once.
    expect(asTree(deployment?.spec).replicas).toBe(1);
    expect(asTree(asTree(deployment?.spec).strategy).type).toBe('Recreate');
    expect(env.find((e) => e.name === 'WXLOG_SECRET')?.valueFrom).toBeDefined();
    expect(files).toContain('kubernetes-cronjob.yaml');
  });

  it('runs N PostgreSQL workers in Kubernetes whose settings load, with the apps file from a ConfigMap', () => {
    const docs = yamlDocs('kubernetes-postgres-workers.yaml').map(asTree);
    const deployment = docs.find((d) => d.kind === 'Deployment');
    const spec = asTree(deployment?.spec);
    expect(spec.replicas).toBeGreaterThanOrEqual(2);
    const pod = asTree(asTree(spec.template).spec);
    // The database holds everything: no claim, so replicas can run on any node.
    expect(list(pod.volumes).some((v) => asTree(v).persistentVolumeClaim !== undefined)).toBe(false);
    const [container] = list(pod.containers).map(asTree);
    expect(container?.args).toEqual(['daemon']);
    const env = list(container?.env).map(asTree);
    const known = new Set(envSettings.map((e) => e.name));
    expect(env.map((e) => String(e.name)).filter((name) => !known.has(name))).toEqual([]);
    // The URL, password and all, only ever from a Secret.
    const db = env.find((e) => e.name === 'WXLOG_DB');
    expect(db?.value).toBeUndefined();
    expect(asTree(asTree(db?.valueFrom).secretKeyRef).key).toBeDefined();

    // The apps file is the ConfigMap's key, where the volume mounts it.
    const appsFile = String(env.find((e) => e.name === 'WXLOG_APPS_FILE')?.value);
    const volume = list(pod.volumes)
      .map(asTree)
      .find((v) => v.configMap !== undefined);
    const mount = list(container?.volumeMounts)
      .map(asTree)
      .find((m) => m.name === volume?.name);
    const configMap = docs.find(
      (d) => d.kind === 'ConfigMap' && asTree(d.metadata).name === asTree(volume?.configMap).name,
    );
    const key = appsFile.slice(String(mount?.mountPath).length + 1);
    expect(appsFile.startsWith(`${String(mount?.mountPath)}/`)).toBe(true);
    const appsText = asTree(configMap?.data)[key];
    expect(typeof appsText).toBe('string');

    // Its settings as wxlog reads them, the Secret's URL standing in.
    const values: Record<string, string> = { WXLOG_DB: 'postgres://wxlog:s3cret@postgres.db.svc:5432/wxlog' };
    for (const e of env) if (typeof e.value === 'string') values[String(e.name)] = e.value;
    const readFile = (path: string): string => {
      if (path === appsFile) return String(appsText);
      throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    };
    const config = loadConfig({ env: values, cwd: '/app', readFile }, 'upstream');
    expect(config.db).toBe(values.WXLOG_DB);
    expect(config.leaseTtlMs).toBe(Number(values.WXLOG_LEASE_TTL_MS));
    const apps = loadApps(config, readFile);
    expect(apps.length).toBeGreaterThanOrEqual(2);
    expect(apps.every((a) => a.tokenMode === 'url')).toBe(true);

    const port = parseListenAddress(String(values.WXLOG_METRICS_ADDR))?.port;
    const named = list(container?.ports)
      .map(asTree)
      .find((p) => p.containerPort === port);
    expect(asTree(asTree(container?.readinessProbe).httpGet)).toEqual({ path: '/readyz', port: named?.name });
    expect(asTree(asTree(container?.livenessProbe).httpGet)).toEqual({ path: '/livez', port: named?.name });
  });
});
