// Lower case without separators, so that "page_size", "PageSize" and "WXLOG_PAGE_SIZE" all meet "pageSize".
function normalise(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .replace(/^wxlog/, '');
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The candidate a misspelt setting name most likely meant, for "did you mean …?": compared by the last
 * `.`-separated part, ignoring case, separators and a `WXLOG_` prefix, within an edit distance of 1 for
 * short names and 2 for others. `preferred` (a candidate known to mean the same) wins outright.
 * Undefined when nothing is close.
 */
export function nearestName(wanted: string, candidates: readonly string[], preferred?: string): string | undefined {
  const target = normalise(wanted.split('.').at(-1) ?? wanted);
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const plain = normalise(name.split('.').at(-1) ?? name);
    const distance = name === preferred ? -1 : editDistance(target, plain);
    const allowed = plain.length <= 4 ? 1 : 2;
    if (distance <= allowed && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}
