/** One option of a command's `--help`: the flag as typed (`--runs N`) and what it does. */
export type OptionHelp = readonly [flag: string, description: string];

/**
 * The options of a `--help`, every description starting in one column: two spaces, the flags padded to
 * the longest, two spaces. A description's further lines (after `\n`) continue in that column.
 */
export function optionsHelp(rows: readonly OptionHelp[]): string {
  const width = Math.max(...rows.map(([flag]) => flag.length));
  const indent = ' '.repeat(width + 4);
  return rows
    .map(([flag, description]) => `  ${flag.padEnd(width)}  ${description.split('\n').join(`\n${indent}`)}`)
    .join('\n');
}
