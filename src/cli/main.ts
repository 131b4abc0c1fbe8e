#!/usr/bin/env node
// First: it tunes the heap before the other modules allocate (see the file).
import './heap-growth.js';
import { readFileSync } from 'node:fs';
import { commands } from './commands/index.js';
import type { CommandContext } from './command.js';
import { errorExit } from './error-exit.js';
import { ExitCode } from './exit-codes.js';

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length), 8);
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'wxlog: keep WeChat Mini Program realtime logs in SQLite or PostgreSQL',
    '',
    'Usage: wxlog <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `wxlog <command> --help` for the options of a command.',
    'Exit codes: 0 done and complete, 1 done with incomplete windows (the next run continues),',
    '2 bad configuration or usage, or a database that cannot be opened or written, 3 fatal upstream',
    "error, 4 another run holds the database's lock, 5 internal error (a bug in wxlog: report it).",
    'See docs/exit-codes.md.',
  ].join('\n');
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

// The secrets a crash's stack might hold: those of the environment (a config file's are not known here).
function envSecrets(): string[] {
  return [process.env.WXLOG_SECRET, process.env.WXLOG_ACCESS_TOKEN].filter(
    (s): s is string => typeof s === 'string' && s.trim() !== '',
  );
}

// Set once a command runs, so that a crash names it.
let label = 'wxlog';

async function main(): Promise<number> {
  const [name, ...rest] = process.argv.slice(2);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${version()}\n`);
    return ExitCode.Ok;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`wxlog: unknown command ${JSON.stringify(name)}; see \`wxlog --help\`\n`);
    return ExitCode.Usage;
  }
  // Only this command's module (and what it imports) is loaded: the others cost start-up for nothing.
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.help.trimEnd()}\n`);
    return ExitCode.Ok;
  }
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals += 1;
    // A second signal means the user does not want to wait for the page in hand.
    if (signals > 1) process.exit(128 + (sig === 'SIGINT' ? 2 : 15));
    controller.abort(new Error(`received ${sig}`));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const ctx: CommandContext = {
    argv: rest,
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    signal: controller.signal,
    cwd: process.cwd(),
    now: () => Date.now(),
  };
  label = `wxlog ${name}`;
  // Where start-up (Node, main and the command's modules) ends and the command's own work begins, for profilers and
  // `npm run bench` (performance marks print nothing).
  performance.mark('wxlog:command');
  return await command.run(ctx);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const exit = errorExit(e, { label, version: version(), secrets: envSecrets() });
    process.stderr.write(exit.stderr);
    process.exitCode = exit.code;
  },
);
