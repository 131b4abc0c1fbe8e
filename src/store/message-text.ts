/**
 * The searchable text of one log call's arguments: strings as they are, everything else as JSON,
 * separated by spaces (what a developer would see in the console). Arguments that came in an
 * undocumented shape are made searchable too: an object by its values, a bare string as it is.
 */
export function messageText(args: unknown): string {
  if (Array.isArray(args)) return args.map(argumentText).join(' ');
  if (typeof args === 'object' && args !== null) return Object.values(args).map(argumentText).join(' ');
  return args === undefined || args === null ? '' : argumentText(args);
}

function argumentText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null');
}
