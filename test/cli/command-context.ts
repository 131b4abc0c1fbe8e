import { PassThrough } from 'node:stream';
import type { CommandContext } from '../../src/cli/command.js';

/** A command's context for an in-process run: its output collected, its clock fixed at `nowMs`. */
export function fixedContext(argv: string[], env: NodeJS.ProcessEnv, nowMs: number, cwd: string) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString('utf8')));
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString('utf8')));
  const ctx: CommandContext = {
    argv,
    env,
    stdout,
    stderr,
    signal: new AbortController().signal,
    cwd,
    now: () => nowMs,
  };
  return { ctx, stdout: () => out.join(''), stderr: () => err.join('') };
}
