/**
 * Reading `data.list` entries leniently, one entry at a time (docs/real-api.md, "Shape drift").
 *
 * WeChat's document gives every field a type, but public reports say `msg[].msg` once changed from an
 * array to an object, and numbers can arrive as strings. An entry is never dropped and a page never
 * refused for that: every entry is read field by field, whatever came is kept as it came (the store
 * keeps `raw`), and `unexpected` says that the entry did not have the documented shape.
 */

/** One element of an entry's `msg` (one log.info/warn/error call), read leniently. */
export interface ServedMessage {
  time: number | null;
  level: number | null;
  /** The call's arguments as served: documented as an array, kept as whatever came (object, string…). */
  args: unknown;
}

/** One entry of `data.list` with the fields wxlog files in columns; `raw` is the entry as served. */
export interface ServedEntry {
  raw: unknown;
  /** Unix seconds; null when the entry has no usable timestamp (the store files it under its window). */
  timestamp: number | null;
  level: number | null;
  platform: number | null;
  libraryVersion: string | null;
  clientVersion: string | null;
  /** The API's `id`: the user's OpenID. */
  openid: string | null;
  url: string | null;
  traceid: string | null;
  filterMsg: string | null;
  /** The entry's `msg` as served ([] when absent). */
  msg: unknown;
  messages: ServedMessage[];
  /** Fields the document does not list, and under `$asServed` known fields that came with another type. */
  extra: Record<string, unknown> | null;
  /** Some field had a type the document does not give, or the entry had fields it does not list. */
  unexpected: boolean;
}

/** The key of `extra` that keeps known fields whose value came with an undocumented type. */
export const AS_SERVED_KEY = '$asServed';

const NUMERIC = /^-?\d+(?:\.\d+)?$/;
const ENTRY_NUMBERS = ['timestamp', 'level', 'platform'] as const;
const ENTRY_TEXTS = {
  libraryVersion: 'libraryVersion',
  clientVersion: 'clientVersion',
  openid: 'id',
  url: 'url',
  traceid: 'traceid',
  filterMsg: 'filterMsg',
} as const;
const TEXT_FIELDS = Object.entries(ENTRY_TEXTS) as [keyof typeof ENTRY_TEXTS, string][];
const KNOWN_FIELDS: ReadonlySet<string> = new Set([...ENTRY_NUMBERS, ...Object.values(ENTRY_TEXTS), 'msg']);
const MESSAGE_FIELDS: ReadonlySet<string> = new Set(['time', 'level', 'msg']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A number as documented, or a decimal string standing for one; `ok` is false for anything else. */
function readNumber(value: unknown): { value: number | null; ok: boolean } {
  if (value === undefined || value === null) return { value: null, ok: true };
  if (typeof value === 'number' && Number.isFinite(value)) return { value, ok: true };
  if (typeof value === 'string' && NUMERIC.test(value.trim())) return { value: Number(value.trim()), ok: false };
  return { value: null, ok: false };
}

function readText(value: unknown): { value: string | null; ok: boolean } {
  if (value === undefined || value === null) return { value: null, ok: true };
  if (typeof value === 'string') return { value, ok: true };
  // A JSON value other than a string: its JSON text (12345 → "12345", {"path":"p"} as it is).
  return { value: JSON.stringify(value) ?? '', ok: false };
}

function readMessage(element: unknown): { message: ServedMessage; ok: boolean } {
  if (!isRecord(element)) return { message: { time: null, level: null, args: element ?? null }, ok: false };
  const time = readNumber(element['time']);
  const level = readNumber(element['level']);
  const args = element['msg'];
  let ok = time.ok && level.ok && (args === undefined || Array.isArray(args));
  for (const key in element) if (!MESSAGE_FIELDS.has(key)) ok = false;
  return { message: { time: time.value, level: level.value, args: args === undefined ? [] : args }, ok };
}

/** Reads one `data.list` item. Never throws: whatever came is kept, and `unexpected` says so. */
export function readServedEntry(raw: unknown): ServedEntry {
  const fields = isRecord(raw) ? raw : {};
  let unexpected = !isRecord(raw);
  const asServed: Record<string, unknown> = {};
  const numbers: Record<(typeof ENTRY_NUMBERS)[number], number | null> = {
    timestamp: null,
    level: null,
    platform: null,
  };
  for (const name of ENTRY_NUMBERS) {
    const read = readNumber(fields[name]);
    numbers[name] = read.value;
    if (!read.ok) {
      unexpected = true;
      asServed[name] = fields[name];
    }
  }
  // A timestamp is a whole second; anything else cannot place the entry in a window.
  if (numbers.timestamp !== null && !Number.isSafeInteger(numbers.timestamp)) {
    unexpected = true;
    asServed['timestamp'] = fields['timestamp'];
    numbers.timestamp = null;
  }
  if (numbers.timestamp === null && isRecord(raw)) unexpected = true;
  const texts = {} as Record<keyof typeof ENTRY_TEXTS, string | null>;
  for (const [column, name] of TEXT_FIELDS) {
    const read = readText(fields[name]);
    texts[column] = read.value;
    if (!read.ok) {
      unexpected = true;
      asServed[name] = fields[name];
    }
  }
  const msg = fields['msg'] ?? [];
  const messages: ServedMessage[] = [];
  if (Array.isArray(msg)) {
    for (const element of msg) {
      const read = readMessage(element);
      messages.push(read.message);
      if (!read.ok) unexpected = true;
    }
  } else {
    // An entry whose msg is one object or string: one call whose arguments are that value.
    messages.push({ time: null, level: null, args: msg });
    unexpected = true;
  }
  const extra: Record<string, unknown> = {};
  if (isRecord(raw)) {
    for (const key in raw) {
      if (KNOWN_FIELDS.has(key)) continue;
      extra[key] = raw[key];
      unexpected = true;
    }
  } else {
    extra['$entry'] = raw;
  }
  if (Object.keys(asServed).length > 0) extra[AS_SERVED_KEY] = asServed;
  return {
    raw,
    ...numbers,
    ...texts,
    msg,
    messages,
    extra: Object.keys(extra).length === 0 ? null : extra,
    unexpected,
  };
}

/**
 * Reads `data` of a userlog_search answer: its `list`, entry by entry, and its `total`. Returns a problem
 * in words when `data` has no `list` array or no usable `total` (a page that cannot be judged: transient).
 */
export function readSearchData(data: unknown): { list: ServedEntry[]; total: number; unexpected: number } | string {
  if (!isRecord(data)) return 'answer has no data object';
  const list = data['list'];
  if (!Array.isArray(list)) return 'answer has no data.list array';
  const total = readNumber(data['total']).value;
  if (total === null || !Number.isSafeInteger(total) || total < 0) return 'answer has no usable data.total';
  const entries = list.map(readServedEntry);
  let unexpected = 0;
  for (const e of entries) if (e.unexpected) unexpected += 1;
  return { list: entries, total, unexpected };
}
