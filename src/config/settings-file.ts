import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError } from './config-error.js';
import { APP_KEYS, SECRET_SETTINGS, settingSchemas } from './config-schema.js';
import { envSettings } from './env-settings.js';
import { nearestName } from './nearest-name.js';

/** Reads a UTF-8 file: `fs.readFileSync` unless a test gives its own. */
export type ReadFile = (path: string) => string;

export const readUtf8: ReadFile = (path) => readFileSync(path, 'utf8');

/**
 * The text of a settings file (the config file, the apps file) without a byte-order mark; a file that cannot
 * be read becomes `fail(problem)`.
 */
export function readSettingsText(path: string, readFile: ReadFile, fail: (problem: string) => ConfigError): string {
  let text: string;
  try {
    text = readFile(path);
  } catch (e: unknown) {
    throw fail(describeReadError(e));
  }
  // Editors on Windows like to start UTF-8 files with a byte-order mark, which JSON.parse refuses.
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

/** JSON.parse, with a syntax error turned into `fail(problem)` that names a line and column but quotes nothing. */
export function parseJson(text: string, fail: (problem: string) => ConfigError): unknown {
  try {
    return JSON.parse(text);
  } catch (e: unknown) {
    throw fail(`is not valid JSON: ${describeJsonError(e, text)}`);
  }
}

function describeReadError(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory, not a file';
  const message = e instanceof Error ? e.message : String(e);
  return `cannot be read (${message.split('\n')[0]})`;
}

// V8's JSON.parse messages sometimes quote the text around the error, which may hold a secret:
// keep only the description and turn the position into a line and column.
function describeJsonError(e: unknown, text: string): string {
  const message = e instanceof Error ? e.message : '';
  const match = /^(.*?) at position (\d+)/.exec(message);
  if (!match) return /end of JSON input/.test(message) ? 'it ends too early' : 'syntax error';
  const [, description = '', position = '0'] = match;
  const before = text.slice(0, Number(position)).split('\n');
  const at = `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
  const what = description.replace(/ in JSON$/, '');
  return what.includes('"') ? `syntax error at ${at}` : `${what} at ${at}`;
}

/** A value as it appears in messages: JSON, cut short so that the message stays one readable line. */
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** A key path as the user reads it: `filters.level`, `apps[3].pageSize`, `[3].pageSize` (in a JSON apps file). */
export function pathKey(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join('');
}

/** True for the key of a setting whose value must never be echoed (`secret`, `apps[2].accessToken`). */
export function isSecretKey(key: string): boolean {
  return SECRET_SETTINGS.has(key.split(/[.\]]/).at(-1) ?? key);
}

function valueAt(values: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = values;
  for (const part of path) current = (current as Record<PropertyKey, unknown> | undefined)?.[part];
  return current;
}

const TOP_KEYS: readonly string[] = ['$schema', 'apps', ...Object.keys(settingSchemas)];
const FILTER_KEYS = Object.keys(settingSchemas).filter((key) => key.startsWith('filters.'));
const ENTRY_KEYS: readonly string[] = [...APP_KEYS, ...FILTER_KEYS];

/**
 * The first problem zod found in a settings file's `values`, as a one-line {@link ConfigError} naming the key
 * (`apps[3].pagesize in wxlog.json: unknown setting; did you mean "pageSize"?`). A secret's value is never shown.
 */
export function fileIssue(error: z.ZodError, values: unknown, label: string): ConfigError {
  // A misspelt key usually explains the other complaints too, so it goes first.
  const issues = [...error.issues].sort(
    (a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'),
  );
  const issue = issues[0] as z.core.$ZodIssue;
  if (issue.code === 'unrecognized_keys') {
    const key = pathKey([...issue.path, String(issue.keys[0])]);
    // Inside an entry of apps (`apps[3].…`, or `[3].…` in an apps file) the keys of an app are meant.
    const inApp = issue.path.some((part) => typeof part === 'number');
    return new ConfigError(key, `${key} in ${label}: unknown setting${suggestion(key, inApp ? ENTRY_KEYS : TOP_KEYS)}`);
  }
  const key = pathKey(issue.path);
  const value = valueAt(values, issue.path);
  const got = value === undefined ? ' (required)' : isSecretKey(key) ? '' : `, got ${show(value)}`;
  return new ConfigError(key || label, `${key === '' ? label : `${key} in ${label}`}: ${issue.message}${got}`);
}

function suggestion(unknownKey: string, candidates: readonly string[]): string {
  // An env-style name in the file ("WXLOG_PAGE_SIZE") means that variable's key.
  const fromEnvName = envSettings.find((s) => s.name === unknownKey.split('.').at(-1))?.key;
  const best = nearestName(unknownKey, candidates, fromEnvName);
  if (best === undefined) return '; see docs/configuration.md for the settings';
  const [head, sub] = best.split('.');
  return sub === undefined ? `; did you mean "${head}"?` : `; did you mean "${sub}" inside "${head}"?`;
}
