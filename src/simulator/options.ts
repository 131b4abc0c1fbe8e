import type { ResolvedSimulatorOptions, SimulatorOptions } from './simulator.js';
import { MAX_PER_DAY } from './day-index.js';
import { resolveFaults } from './faults.js';
import { DEFAULT_SERVED_DAYS, MAX_SERVED_DAYS } from './log-store.js';
import { RESULT_ORDERS } from './result-order.js';
import { SHAPE_DRIFT_KINDS, type ResolvedShapeDrift } from './shape-drift.js';

function fail(name: string, expected: string, got: unknown): never {
  const shown = typeof got === 'string' ? JSON.stringify(got) : String(got);
  throw new RangeError(`Expected \`${name}\` to be ${expected}, got ${shown}`);
}

function integer(name: string, value: unknown, min: number, max: number, allowInfinity = false): number {
  if (allowInfinity && value === Infinity) return value;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    fail(name, `an integer ${range}${allowInfinity ? ' or Infinity' : ''}`, value);
  }
  return value;
}

function positive(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(name, 'a finite number > 0', value);
  return value;
}

function nonEmpty(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') fail(name, 'a non-empty string', value);
  return value;
}

function oneOf<T extends string>(name: string, value: unknown, choices: readonly T[]): T {
  if (!choices.includes(value as T)) fail(name, `one of ${choices.join(', ')}`, value);
  return value as T;
}

const ANY = Number.MAX_SAFE_INTEGER;

function share(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) fail(name, 'a number from 0 to 1', value);
  return value;
}

function shapeDrift(value: unknown): ResolvedShapeDrift {
  if (value === undefined) value = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('shapeDrift', 'an object', value);
  const fields = value as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !(SHAPE_DRIFT_KINDS as readonly string[]).includes(key));
  // A misspelt kind would otherwise drift nothing, silently.
  if (unknown.length > 0) fail('shapeDrift', `an object with only ${SHAPE_DRIFT_KINDS.join(', ')}`, unknown.join(', '));
  const shares = Object.fromEntries(
    SHAPE_DRIFT_KINDS.map((kind) => [kind, share(`shapeDrift.${kind}`, fields[kind] ?? 0)]),
  );
  return shares as ResolvedShapeDrift;
}

/** Validates `servedDays` (also when it changes at run time): CST days served, today included. */
export function servedDaysOption(value: unknown): number {
  return integer('servedDays', value, 1, MAX_SERVED_DAYS);
}

/** Validates `dailyQuota` (also when it changes at run time): searches answered per CST day. */
export function dailyQuotaOption(value: unknown): number {
  return integer('dailyQuota', value, 0, ANY, true);
}

/** Validates options once and fills in the documented defaults. */
export function resolveSimulatorOptions(options: SimulatorOptions = {}): ResolvedSimulatorOptions {
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') fail('now', 'a function returning unix milliseconds', now);
  const lateFraction = options.lateFraction ?? 0;
  if (typeof lateFraction !== 'number' || !(lateFraction >= 0 && lateFraction <= 1)) {
    fail('lateFraction', 'a number from 0 to 1', lateFraction);
  }
  const servedDays = servedDaysOption(options.servedDays ?? DEFAULT_SERVED_DAYS);
  return {
    appid: nonEmpty('appid', options.appid ?? 'wxd0c0ffee12345678'),
    secret: nonEmpty('secret', options.secret ?? 'simulator-secret'),
    host: nonEmpty('host', options.host ?? '127.0.0.1'),
    port: integer('port', options.port ?? 0, 0, 65_535),
    seed: integer('seed', options.seed ?? 1, -ANY, ANY),
    perDay: integer('perDay', options.perDay ?? 200, 0, MAX_PER_DAY),
    now,
    callsPerMinute: integer('callsPerMinute', options.callsPerMinute ?? 50, 0, ANY),
    intervalMs: positive('intervalMs', options.intervalMs ?? 60_000),
    tokenTtlMs: positive('tokenTtlMs', options.tokenTtlMs ?? 7_200_000),
    tokenMaxUses: integer('tokenMaxUses', options.tokenMaxUses ?? Infinity, 1, ANY, true),
    classicOverlapMs: integer('classicOverlapMs', options.classicOverlapMs ?? 300_000, 0, ANY),
    forceRefreshPerDay: integer('forceRefreshPerDay', options.forceRefreshPerDay ?? 20, 0, ANY),
    faults: resolveFaults(options.faults),
    maxPageSize: integer('maxPageSize', options.maxPageSize ?? Infinity, 1, ANY, true),
    pageSizeCapMode: oneOf('pageSizeCapMode', options.pageSizeCapMode ?? 'reject', ['truncate', 'reject']),
    maxOffset: integer('maxOffset', options.maxOffset ?? Infinity, 1, ANY, true),
    offsetCapMode: oneOf('offsetCapMode', options.offsetCapMode ?? 'empty', ['empty', 'reject']),
    lateFraction,
    order: oneOf('order', options.order ?? 'newest', RESULT_ORDERS),
    endtime: oneOf('endtime', options.endtime ?? 'inclusive', ['inclusive', 'exclusive']),
    servedDays,
    // Data no older than what is served: a day served without data would be a plan change (setServedDays).
    dataDays: integer('dataDays', options.dataDays ?? servedDays, servedDays, MAX_SERVED_DAYS),
    shapeDrift: shapeDrift(options.shapeDrift),
    dailyQuota: dailyQuotaOption(options.dailyQuota ?? Infinity),
  };
}
