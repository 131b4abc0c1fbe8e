import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands/index.js';
import { runCli } from './run-cli.js';

const commandsDir = new URL('../../src/cli/commands/', import.meta.url);

describe('the command registry', () => {
  it.each(commands.map((c) => [c.name, c] as const))(
    '%s: its module exports the command of that name and summary',
    async (name, entry) => {
      const command = await entry.load();
      expect({ name: command.name, summary: command.summary }).toEqual({ name, summary: entry.summary });
      expect(command.help).toMatch(new RegExp(`^wxlog ${name}\\b`));
    },
  );

  it('names every command file once', () => {
    const files = readdirSync(commandsDir)
      .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect(commands.map((c) => c.name).sort()).toEqual(files);
  });

  // Start-up is what this registry is for: a static import of a command from the registry or from
  // main would load every command again for each one (about 0.25 s). Timing lives in the bench; this
  // guards the structure.
  it('imports no command module statically', () => {
    const staticImports = (file: URL): string[] =>
      [...readFileSync(file, 'utf8').matchAll(/^import\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1] ?? '');
    expect(staticImports(new URL('index.ts', commandsDir))).toEqual([]);
    expect(staticImports(new URL('../main.ts', commandsDir)).filter((path) => path.includes('commands/'))).toEqual([
      './commands/index.js',
    ]);
  });
});

describe('wxlog --help (subprocess)', () => {
  it('lists every command with its summary, in the registry order', async () => {
    const result = await runCli(['--help']);
    expect(result.status).toBe(0);
    const listed = result.stdout
      .split('\n')
      .map((line) => /^ {2}(\S+) {2,}(.+)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ name: m[1], summary: m[2] }));
    expect(listed).toEqual(commands.map((c) => ({ name: c.name, summary: c.summary })));
  });

  it('loads a command for its own --help', async () => {
    const result = await runCli(['query', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^wxlog query SQL/);
  });
});
