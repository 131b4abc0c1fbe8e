import type { ResolvedSimulatorOptions, SimulatorOptions } from './simulator.js';
import {
  MAX_APPS,
  dataSeedOf,
  generatedApp,
  listedAppSeed,
  type ResolvedSimulatedApp,
  type SimulatedAppOptions,
} from './app-list.js';
import { MAX_PER_DAY } from './day-index.js';
import { resolveFaults } from './faults.js';
import { DEFAULT_SERVED_DAYS, MAX_SERVED_DAYS } from './log-store.js';
import { RESULT_ORDERS } from './result-order.js';
import { SHAPE_DRIFT_KINDS, type ResolvedShapeDrift } from './shape-drift.js';
import { tokenServiceFailureOption, type TokenServiceFailure } from './token-service.js';

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

const APP_FIELDS: readonly (keyof SimulatedAppOptions)[] = [
  'appid',
  'secret',
  'perDay',
  'seed',
  'callsPerMinute',
  'dailyQuota',
];

/** The per-app settings every app takes unless it sets its own. */
type AppDefaults = Omit<ResolvedSimulatedApp, 'appid' | 'secret' | 'dataSeed'>;

function listedApp(value: unknown, index: number, simulatorSeed: number, defaults: AppDefaults): ResolvedSimulatedApp {
  const name = `apps[${index}]`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(name, 'an object', value);
  const fields = value as Record<string, unknown>;
  const unknown = Object.keys(fields).filter((key) => !(APP_FIELDS as readonly string[]).includes(key));
  // A misspelt field would otherwise fall back to the default, silently.
  if (unknown.length > 0) fail(name, `an object with only ${APP_FIELDS.join(', ')}`, unknown.join(', '));
  const seed = fields['seed'] === undefined ? undefined : integer(`${name}.seed`, fields['seed'], -ANY, ANY);
  return {
    appid: nonEmpty(`${name}.appid`, fields['appid']),
    secret: nonEmpty(`${name}.secret`, fields['secret']),
    perDay: integer(`${name}.perDay`, fields['perDay'] ?? defaults.perDay, 0, MAX_PER_DAY),
    dataSeed: seed === undefined ? listedAppSeed(simulatorSeed, index) : dataSeedOf(seed),
    callsPerMinute: integer(`${name}.callsPerMinute`, fields['callsPerMinute'] ?? defaults.callsPerMinute, 0, ANY),
    dailyQuota: integer(`${name}.dailyQuota`, fields['dailyQuota'] ?? defaults.dailyQuota, 0, ANY, true),
  };
}

/**
 * The apps served: `appid`/`secret` alone, or `apps` followed by `appCount` generated ones. AppIDs
 * must differ, since an AppID is what a token request names.
 */
function appList(
  options: SimulatorOptions,
  simulatorSeed: number,
  defaults: AppDefaults,
  single: { appid: string; secret: string },
): ResolvedSimulatedApp[] {
  const { apps, appCount } = options;
  if (apps === undefined && appCount === undefined) {
    return [{ ...single, dataSeed: simulatorSeed, ...defaults }];
  }
  // appid and secret name the one app of a one-app simulator; a many-app one takes each app's own.
  if (options.appid !== undefined) fail('appid', 'left out when `apps` or `appCount` is given', options.appid);
  if (options.secret !== undefined) fail('secret', 'left out when `apps` or `appCount` is given', '(a secret)');
  if (apps !== undefined && (!Array.isArray(apps) || apps.length === 0 || apps.length > MAX_APPS)) {
    fail('apps', `a list of 1 to ${MAX_APPS} apps`, Array.isArray(apps) ? `${apps.length} apps` : apps);
  }
  const count = appCount === undefined ? 0 : integer('appCount', appCount, 1, MAX_APPS - (apps?.length ?? 0));
  const list = (apps ?? []).map((app, i) => listedApp(app, i, simulatorSeed, defaults));
  for (let i = 0; i < count; i++) list.push(generatedApp(simulatorSeed, i, defaults));
  const seen = new Set<string>();
  for (const app of list) {
    if (seen.has(app.appid)) fail('apps', 'apps with different AppIDs', `${app.appid} twice`);
    seen.add(app.appid);
  }
  return list;
}

function tokenServiceFailures(value: unknown, apps: readonly ResolvedSimulatedApp[]): Map<string, TokenServiceFailure> {
  const failures = new Map<string, TokenServiceFailure>();
  if (value === undefined) return failures;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('tokenServiceFailures', 'an object of AppID to failure', value);
  }
  const served = new Set(apps.map((app) => app.appid));
  for (const [appid, failure] of Object.entries(value)) {
    if (!served.has(appid)) fail('tokenServiceFailures', "keyed by the simulator's AppIDs", appid);
    failures.set(appid, tokenServiceFailureOption(`tokenServiceFailures.${appid}`, failure));
  }
  return failures;
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
  const seed = integer('seed', options.seed ?? 1, -ANY, ANY);
  const defaults: AppDefaults = {
    perDay: integer('perDay', options.perDay ?? 200, 0, MAX_PER_DAY),
    callsPerMinute: integer('callsPerMinute', options.callsPerMinute ?? 50, 0, ANY),
    dailyQuota: dailyQuotaOption(options.dailyQuota ?? Infinity),
  };
  const apps = appList(options, dataSeedOf(seed), defaults, {
    appid: nonEmpty('appid', options.appid ?? 'wxd0c0ffee12345678'),
    secret: nonEmpty('secret', options.secret ?? 'simulator-secret'),
  });
  const [first] = apps as [ResolvedSimulatedApp, ...ResolvedSimulatedApp[]];
  return {
    // The default app: the only one, or the first of many.
    appid: first.appid,
    secret: first.secret,
    host: nonEmpty('host', options.host ?? '127.0.0.1'),
    port: integer('port', options.port ?? 0, 0, 65_535),
    seed,
    perDay: defaults.perDay,
    now,
    callsPerMinute: defaults.callsPerMinute,
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
    dailyQuota: first.dailyQuota,
    apps,
    tokenServiceFailures: tokenServiceFailures(options.tokenServiceFailures, apps),
    latencyMs: integer('latencyMs', options.latencyMs ?? 0, 0, ANY),
  };
}
