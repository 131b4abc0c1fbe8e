import type { ExitCode } from './exit-codes.js';

/** What a command gets from the CLI: everything from the outside world, passed in. */
export interface CommandContext {
  /** Arguments after the command name. */
  argv: string[];
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Aborted on SIGTERM/SIGINT: long commands finish the page in hand and return. */
  signal: AbortSignal;
  cwd: string;
  /**
   * The current time in milliseconds since the epoch (main passes `Date.now`). Commands read the clock
   * only through this, so that "now" is one decision of the caller and a test can fix it.
   */
  now: () => number;
}

/** One `wxlog <command>`. */
export interface Command {
  name: string;
  /** One line for `wxlog --help`. */
  summary: string;
  /** Full text for `wxlog <command> --help`. */
  help: string;
  run(ctx: CommandContext): Promise<ExitCode>;
}

/** A usage or configuration mistake: printed as one line, exit 2, nothing written. */
export class UsageError extends Error {
  override name = 'UsageError';
}
