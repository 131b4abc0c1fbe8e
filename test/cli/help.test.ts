import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands/index.js';
import { runCli } from './run-cli.js';

/** The lines of a help text's "Options:" section, up to the first blank line. */
function optionLines(help: string): string[] {
  const lines = help.split('\n');
  const start = lines.indexOf('Options:');
  if (start < 0) return [];
  const end = lines.findIndex((line, i) => i > start && line.trim() === '');
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

describe('--help of every command', () => {
  it.each(commands.map((c) => [c.name, c] as const))(
    '%s: starts every option description in one column',
    async (_name, entry) => {
      const { help } = await entry.load();
      const lines = optionLines(help);
      expect(lines.length).toBeGreaterThan(0);
      const columns = new Set<number>();
      for (const line of lines) {
        const flag = /^ {2}(--\S+(?: [A-Z]+)?) {2,}/.exec(line);
        // A flag line: its description starts after the flag and at least two spaces; a continuation line
        // is indented to the same column.
        columns.add(flag ? flag[0].length : (/^ +/.exec(line)?.[0].length ?? 0));
      }
      expect([...columns]).toHaveLength(1);
    },
  );
});

describe('an unknown option (subprocess)', () => {
  it('reads the same in every command: one line, exit 2', async () => {
    for (const { name } of commands) {
      const result = await runCli([name, '--colour']);
      expect({ name, status: result.status, stderr: result.stderr }).toEqual({
        name,
        status: 2,
        stderr: `wxlog ${name}: unknown option --colour; see \`wxlog ${name} --help\`\n`,
      });
    }
  }, 30_000);
});
