import { displayWidth, truncateToWidth } from './display-width.js';

/** Output formats of `wxlog query`. */
export const OUTPUT_FORMATS = ['table', 'csv', 'json', 'ndjson'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** A value ready to print: BLOBs already turned into hex, integers beyond 2^53 kept as bigint. */
export type Cell = string | number | bigint | null;

export interface TableOptions {
  /** Terminal width: wide columns are narrowed (their cells end in `…`) until the table fits. */
  maxWidth?: number;
  /** How NULL shows (default `NULL`). */
  nullText?: string;
}

// A column is never narrowed below this, even if the table then overflows the terminal.
const MIN_COLUMN_WIDTH = 8;
const SEPARATOR = ' | ';

// One row per line: line breaks and tabs inside a cell are shown escaped.
function cellText(value: Cell, nullText: string): string {
  if (value === null) return nullText;
  if (typeof value !== 'string') return String(value);
  return value.replace(/\r\n|[\r\n\t]/g, (c) => (c === '\t' ? '\\t' : '\\n'));
}

function narrow(widths: number[], maxWidth: number): number[] {
  const out = [...widths];
  let total = out.reduce((a, b) => a + b, 0) + SEPARATOR.length * Math.max(0, out.length - 1);
  while (total > maxWidth) {
    let widest = 0;
    out.forEach((w, i) => {
      if (w > (out[widest] ?? 0)) widest = i;
    });
    const w = out[widest] ?? 0;
    if (w <= MIN_COLUMN_WIDTH) break;
    out[widest] = w - 1;
    total -= 1;
  }
  return out;
}

/**
 * A table for people: a header, a rule, one line per row, numbers right-aligned, CJK text measured in
 * terminal columns. Ends with a newline; empty `rows` give the header and rule only.
 */
export function formatTable(
  columns: readonly string[],
  rows: readonly (readonly Cell[])[],
  options: TableOptions = {},
): string {
  const texts = rows.map((row) => columns.map((_, i) => cellText(row[i] ?? null, options.nullText ?? 'NULL')));
  // Each cell is measured once: a table of log text spends most of its time measuring.
  const textWidths = texts.map((cells) => cells.map(displayWidth));
  const headerWidths = columns.map(displayWidth);
  let widths = headerWidths.map((w, i) => textWidths.reduce((max, cells) => Math.max(max, cells[i] ?? 0), w));
  if (options.maxWidth !== undefined) widths = narrow(widths, options.maxWidth);
  const numeric = columns.map(
    (_, i) => rows.length > 0 && rows.every((r) => r[i] === null || r[i] === undefined || typeof r[i] !== 'string'),
  );
  const line = (cells: readonly string[], cellWidths: readonly number[], alignNumbers: boolean): string =>
    cells
      .map((text, i) => {
        const width = widths[i] ?? 0;
        const cut = (cellWidths[i] ?? 0) > width;
        const shown = cut ? truncateToWidth(text, width) : text;
        const pad = ' '.repeat(Math.max(0, width - (cut ? displayWidth(shown) : (cellWidths[i] ?? 0))));
        return alignNumbers && numeric[i] ? pad + shown : shown + pad;
      })
      .join(SEPARATOR)
      .trimEnd();
  const out = [line(columns, headerWidths, false), widths.map((w) => '-'.repeat(w)).join('-+-')];
  texts.forEach((cells, r) => out.push(line(cells, textWidths[r] ?? [], true)));
  return `${out.join('\n')}\n`;
}

/** One CSV record (RFC 4180): quoted when needed, `"` doubled, CRLF-terminated, NULL as an empty field. */
export function csvRecord(values: readonly Cell[]): string {
  return `${values
    .map((v) => {
      if (v === null) return '';
      const text = String(v);
      return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    })
    .join(',')}\r\n`;
}

/** A row as one JSON object; integers beyond 2^53 are written as exact JSON numbers. */
export function jsonRecord(columns: readonly string[], values: readonly Cell[]): string {
  const fields = columns.map((name, i) => {
    const v = values[i] ?? null;
    return `${JSON.stringify(name)}:${typeof v === 'bigint' ? v.toString() : JSON.stringify(v)}`;
  });
  return `{${fields.join(',')}}`;
}
