import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.js';

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('the exit codes as documented', () => {
  it('docs/exit-codes.md has a row for every code, with its name, and no other', () => {
    const rows = [...read('docs/exit-codes.md').matchAll(/^\| (\d+) \| `(\w+)` \|/gm)].map((m) => [m[2], Number(m[1])]);
    expect(Object.fromEntries(rows)).toEqual(ExitCode);
  });

  it("README's table lists every code", () => {
    const codes = [...read('README.md').matchAll(/^\| (\d) \| /gm)].map((m) => Number(m[1]));
    expect(codes).toEqual(Object.values(ExitCode));
  });
});
