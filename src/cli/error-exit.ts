import { ConfigError } from '../config/config-error.js';
import { DatabaseOpenError } from '../store/database-open-error.js';
import { SchemaError } from '../store/migrator.js';
import { secretRedactor } from '../wechat/redact.js';
import { UsageError } from './command.js';
import { ExitCode } from './exit-codes.js';

/** What the CLI does with an error a command threw: the exit code and the text for stderr. */
export interface ErrorExit {
  code: ExitCode;
  /** Ends with a newline. */
  stderr: string;
}

export interface CrashContext {
  /** `wxlog <command>`, or `wxlog` when no command was running. */
  label: string;
  /** wxlog's version, for the report. */
  version: string;
  /** Values to mask in the stack (the AppSecret and tokens of the environment). */
  secrets: readonly string[];
}

// Mistakes the user fixes: one line, no stack, exit 2.
function isUserMistake(e: unknown): e is Error {
  return (
    e instanceof UsageError || e instanceof ConfigError || e instanceof SchemaError || e instanceof DatabaseOpenError
  );
}

// The stack and, below it, the stacks of its causes: the bug is often where the first cause was thrown.
function stackOf(e: unknown, depth = 0): string {
  if (!(e instanceof Error)) return `thrown: ${String(e)}`;
  const own = e.stack ?? `${e.name}: ${e.message}`;
  return e.cause === undefined || depth >= 4 ? own : `${own}\ncaused by: ${stackOf(e.cause, depth + 1)}`;
}

/**
 * Sorts an error thrown out of a command: a usage, configuration, schema or database-path mistake is one
 * line and exit 2; anything else is a bug in wxlog, printed with its stack (secrets masked) and what to
 * report, exit 5, so that a scheduler never reads a crash as "incomplete, the next run continues" (1).
 */
export function errorExit(e: unknown, context: CrashContext): ErrorExit {
  if (isUserMistake(e)) return { code: ExitCode.Usage, stderr: `${context.label}: ${e.message}\n` };
  const redact = secretRedactor(context.secrets);
  return {
    code: ExitCode.Internal,
    stderr:
      `${redact(stackOf(e))}\n` +
      `${context.label}: internal error: this is a bug in wxlog ${context.version}; ` +
      'please report it with the command you ran and this output (exit 5)\n',
  };
}
