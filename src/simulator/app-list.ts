import { hashInts } from './prng.js';

/**
 * The apps one simulator serves. A third-party platform exports for hundreds or thousands of authorizer
 * apps, each with its own AppSecret, data, rate limit (WeChat's limit is per AppID), quota and tokens;
 * `appCount` makes that many with AppIDs and secrets derived from the seed, so runs are repeatable.
 */

/** One app as given in the `apps` option; unset fields take the simulator's top-level value. */
export interface SimulatedAppOptions {
  appid: string;
  /** Its AppSecret: `stable_token` and `cgi-bin/token` answer 40125 for any other. */
  secret: string;
  /** Entries per full CST day; default the top-level `perDay`. */
  perDay?: number;
  /** Seed of its data; default one derived from the top-level seed and its place in the list. */
  seed?: number;
  /** `userlog_search` requests allowed per sliding interval for this app; default the top-level one. */
  callsPerMinute?: number;
  /** `userlog_search` calls answered per CST day; default the top-level `dailyQuota`. */
  dailyQuota?: number;
}

/** One app with every default filled in. */
export interface ResolvedSimulatedApp {
  appid: string;
  secret: string;
  perDay: number;
  /** The 32-bit seed its data and fault dice derive from (not the `seed` given: that is hashed first). */
  dataSeed: number;
  callsPerMinute: number;
  /** The limit it starts with (setDailyQuota changes the app's quota, not this). */
  dailyQuota: number;
}

/** Most apps one simulator serves. */
export const MAX_APPS = 100_000;

// Separate streams, so that an app's AppID, secret and data never share hash inputs.
const STREAM_APPID = 0xa991;
const STREAM_SECRET = 0x5ec7;
const STREAM_GENERATED_SEED = 0x6e5d;
const STREAM_LISTED_SEED = 0x115d;

/** A user-given seed (any safe integer) as the 32-bit seed the data derives from. */
export function dataSeedOf(seed: number): number {
  return hashInts(seed % 2 ** 32, Math.floor(seed / 2 ** 32));
}

/** The data seed of the `index`th app listed in `apps` without a seed of its own. */
export function listedAppSeed(simulatorSeed: number, index: number): number {
  return hashInts(simulatorSeed, index, STREAM_LISTED_SEED);
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/**
 * The `index`th of `appCount` generated apps: AppID `wx` and 16 lowercase hex digits, a 32-hex-digit
 * secret (the form of real ones) and a data seed, all derived from the simulator's seed and the index.
 */
export function generatedApp(
  simulatorSeed: number,
  index: number,
  defaults: Omit<ResolvedSimulatedApp, 'appid' | 'secret' | 'dataSeed'>,
): ResolvedSimulatedApp {
  const part = (stream: number, n: number): string => hex8(hashInts(simulatorSeed, index, stream, n));
  return {
    appid: `wx${part(STREAM_APPID, 0)}${part(STREAM_APPID, 1)}`,
    secret: [0, 1, 2, 3].map((n) => part(STREAM_SECRET, n)).join(''),
    dataSeed: hashInts(simulatorSeed, index, STREAM_GENERATED_SEED),
    ...defaults,
  };
}
