import type { JsonValue } from '../wechat/types.js';

/**
 * The searchable text of one log call's arguments: strings as they are, everything else as JSON,
 * separated by spaces (what a developer would see in the console).
 */
export function messageText(args: readonly unknown[]): string {
  return args.map((a) => (typeof a === 'string' ? a : (JSON.stringify(a as JsonValue) ?? 'null'))).join(' ');
}
