import type { JsonValue, LogEntry } from '../wechat/types.js';
import { hashInts } from './prng.js';

/**
 * Entries served in shapes the document does not give, as WeChat has been seen to do (`msg[].msg`
 * became an object in July 2023) or plausibly might. Each option is the share (0..1) of entries that
 * drift that way. Whether an entry drifts is decided from its own seed, so an entry is served in the same
 * shape on every page and every call: an exporter that fingerprints content sees it as one entry.
 * Drift changes only the serialization; filters, totals and order use the entry's real values.
 */
export interface ShapeDriftOptions {
  /** The messages' `msg` is an object `{"0": arg0, "1": arg1, …}` instead of an array. */
  objectMsg?: number;
  /** The messages' `msg` is one string: the arguments joined by a space (non-strings as JSON). */
  stringMsg?: number;
  /** `timestamp`, `level`, `platform` and the messages' `time` and `level` are decimal strings. */
  numericStrings?: number;
  /** Fields the document does not list: `network` (and sometimes `sdkExtra`) on the entry, `tag` on its first message. */
  unknownFields?: number;
  /** The entry has no `timestamp` field at all. */
  missingTimestamp?: number;
}

export type ResolvedShapeDrift = Required<ShapeDriftOptions>;

/** Every kind, in the order they are applied. */
export const SHAPE_DRIFT_KINDS: readonly (keyof ShapeDriftOptions)[] = [
  'objectMsg',
  'stringMsg',
  'numericStrings',
  'unknownFields',
  'missingTimestamp',
];

export const NO_SHAPE_DRIFT: ResolvedShapeDrift = {
  objectMsg: 0,
  stringMsg: 0,
  numericStrings: 0,
  unknownFields: 0,
  missingTimestamp: 0,
};

const STREAM_DRIFT = 0xd71f;
const ROLL_MSG = 1;
const ROLL_NUMERIC = 2;
const ROLL_UNKNOWN = 3;
const ROLL_TIMESTAMP = 4;
const ROLL_EXTRA_CHOICE = 5;
const NETWORKS = ['wifi', '4g', '5g', '3g'] as const;

function roll(entrySeed: number, kind: number): number {
  return hashInts(entrySeed, STREAM_DRIFT, kind) / 4_294_967_296;
}

/** True when no entry drifts (the default): serving can skip the per-entry rolls. */
export function driftsNothing(drift: ResolvedShapeDrift): boolean {
  return SHAPE_DRIFT_KINDS.every((kind) => drift[kind] <= 0);
}

function joined(args: readonly JsonValue[]): string {
  return args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' ');
}

function numeric(value: unknown): unknown {
  return typeof value === 'number' ? String(value) : value;
}

/**
 * `entry` (freshly built, not shared) as served under `drift`. objectMsg and stringMsg share one roll, so
 * an entry has one message shape; where their shares add up to more than 1, objectMsg takes the overlap.
 * The result may break `LogEntry`'s declared types on purpose: it is what goes over the wire.
 */
export function applyShapeDrift(entry: LogEntry, entrySeed: number, drift: ResolvedShapeDrift): LogEntry {
  const msgRoll = roll(entrySeed, ROLL_MSG);
  const msgShape = msgRoll < drift.objectMsg ? 'object' : msgRoll >= 1 - drift.stringMsg ? 'string' : 'array';
  const numericStrings = roll(entrySeed, ROLL_NUMERIC) < drift.numericStrings;
  const unknownFields = roll(entrySeed, ROLL_UNKNOWN) < drift.unknownFields;
  const missingTimestamp = roll(entrySeed, ROLL_TIMESTAMP) < drift.missingTimestamp;
  if (msgShape === 'array' && !numericStrings && !unknownFields && !missingTimestamp) return entry;

  // Assigning in place keeps every field where the document's order put it.
  const out = entry as Record<string, unknown>;
  const messages = (entry.msg ?? []) as Record<string, unknown>[];
  for (const message of messages) {
    const args = Array.isArray(message['msg']) ? (message['msg'] as JsonValue[]) : [];
    if (msgShape === 'object') message['msg'] = Object.fromEntries(args.map((arg, i) => [String(i), arg]));
    if (msgShape === 'string') message['msg'] = joined(args);
    if (numericStrings) {
      message['time'] = numeric(message['time']);
      message['level'] = numeric(message['level']);
    }
  }
  if (numericStrings) {
    out['timestamp'] = numeric(out['timestamp']);
    out['level'] = numeric(out['level']);
    out['platform'] = numeric(out['platform']);
  }
  if (unknownFields) {
    const choice = hashInts(entrySeed, STREAM_DRIFT, ROLL_EXTRA_CHOICE);
    out['network'] = NETWORKS[choice % NETWORKS.length];
    if ((choice >>> 8) % 2 === 0) out['sdkExtra'] = { a: 1, from: 'sdk' };
    const first = messages[0];
    if (first) first['tag'] = 'x';
  }
  if (missingTimestamp) delete out['timestamp'];
  return entry;
}
