import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/export-metrics.js';

const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');

/** The metrics table of docs/operations.md: name, type and labels of each row. */
function documented(): Map<string, { type: string; labels: string[] }> {
  const rows = new Map<string, { type: string; labels: string[] }>();
  for (const m of doc.matchAll(/^\| `(wxlog_[a-z_]+)` \| (\w+) \| ([^|]*) \|/gm)) {
    const labels = [...(m[3] ?? '').matchAll(/`([a-z_]+)`/g)].map((l) => l[1] as string);
    rows.set(m[1] as string, { type: m[2] as string, labels });
  }
  return rows;
}

describe('docs/operations.md', () => {
  it('documents every wxlog metric the registry has, with its type and labels, and no other', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const built = (await metrics.registry.getMetricsAsJSON()).filter((m) => m.name.startsWith('wxlog_'));
    const rows = documented();
    expect([...rows.keys()].sort()).toEqual(built.map((m) => m.name).sort());
    for (const m of built) {
      const row = rows.get(m.name);
      expect(row?.type, m.name).toBe(String(m.type));
      const labelNames = (metrics.registry.getSingleMetric(m.name) as unknown as { labelNames: string[] }).labelNames;
      expect(row?.labels, m.name).toEqual(labelNames);
    }
  });
});
