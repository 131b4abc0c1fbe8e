import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './command.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `util.parseArgs` in strict mode, its complaints turned into one-line {@link UsageError}s that name
 * the command (`unknown option --foo; see wxlog status --help`).
 */
export function parseCommandArgs<O extends Options, P extends boolean>(
  command: string,
  argv: string[],
  options: O,
  allowPositionals: P,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (e: unknown) {
    const code = (e as { code?: unknown }).code;
    const message = e instanceof Error ? e.message : String(e);
    const hint = `; see \`wxlog ${command} --help\``;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const option = /'([^']+)'/.exec(message)?.[1] ?? message;
      throw new UsageError(`unknown option ${option}${hint}`, { cause: e });
    }
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
      // Node's messages run on over several lines of advice: the first sentence is the point.
      const first = message.split(/\.(?:\s|$)|\n/)[0] ?? message;
      throw new UsageError(`${first.charAt(0).toLowerCase()}${first.slice(1)}${hint}`, { cause: e });
    }
    throw e;
  }
}
