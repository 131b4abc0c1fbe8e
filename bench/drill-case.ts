/** One case a drill tried: whether it held, and what was seen when it did not. */
export interface DrillCase {
  name: string;
  held: boolean;
  detail: string;
}

/** The cases of one drill, with a line of counts for the summary. */
export interface DrillReport {
  drill: string;
  cases: DrillCase[];
  /** Figures worth printing beside the counts (instants, requests, faults…). */
  notes: string[];
}

/** `name` held when `problems` is empty; otherwise the problems are its detail. */
export function caseFrom(name: string, problems: readonly string[]): DrillCase {
  return { name, held: problems.length === 0, detail: problems.join('; ') };
}

export function formatReport(report: DrillReport): string {
  const held = report.cases.filter((c) => c.held).length;
  const lines = [`${report.drill}: ${held}/${report.cases.length} cases held`];
  for (const note of report.notes) lines.push(`  ${note}`);
  for (const c of report.cases) if (!c.held) lines.push(`  FAILED ${c.name}: ${c.detail}`);
  return lines.join('\n');
}
