import type { LogLevel } from '../config/config-schema.js';
import { secretRedactor } from '../wechat/redact.js';

/** Structured logging: a message and fields, JSON lines for machines or one readable line on a terminal. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every line (the line's own fields win on a clash). */
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  /** Lines below this level are dropped. */
  level: LogLevel;
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  /** Readable lines instead of JSON; defaults to `stream.isTTY`. */
  pretty?: boolean;
  now?: () => Date;
  /** Secret values (AppSecret, tokens) to mask as `***` wherever they appear in a line. */
  redact?: string[];
}

const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const RESERVED = new Set(['time', 'level', 'msg']);
const MAX_DEPTH = 8;

type Redactor = (text: string) => string;

// Makes a field value safe to print: strings redacted, Errors reduced to their (redacted) message,
// cycles and values JSON cannot hold turned into text.
function clean(value: unknown, redact: Redactor, seen: Set<object>, depth: number): unknown {
  if (typeof value === 'string') return redact(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'boolean' || value === null || value === undefined) return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'symbol' || typeof value === 'function') return undefined;
  if (value instanceof Error) return redact(value.message);
  if (seen.has(value) || depth >= MAX_DEPTH) return '[…]';
  // Dates, URLs and the like say how they want to be written.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return clean((value as { toJSON: () => unknown }).toJSON(), redact, seen, depth + 1);
  }
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => clean(item, redact, seen, depth + 1) ?? null);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const cleaned = clean(item, redact, seen, depth + 1);
      if (cleaned !== undefined) out[key] = cleaned;
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

function prettyValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/** A logger writing to `stream`: JSON lines, or readable lines when `pretty` (a terminal). */
export function createLogger(opts: LoggerOptions): Logger {
  const threshold = SEVERITY[opts.level];
  const pretty = opts.pretty ?? opts.stream.isTTY === true;
  const now = opts.now ?? (() => new Date());
  const redact = secretRedactor(opts.redact ?? []);

  const write = (
    level: LogLevel,
    msg: string,
    base: Record<string, unknown>,
    fields?: Record<string, unknown>,
  ): void => {
    if (SEVERITY[level] < threshold) return;
    const time = now();
    const text = redact(msg);
    const extra = clean({ ...base, ...fields }, redact, new Set(), 0) as Record<string, unknown>;
    if (pretty) {
      const pairs = Object.entries(extra).map(([key, value]) => ` ${key}=${prettyValue(value)}`);
      // UTC, like the JSON lines: the host's time zone must not change what is written.
      const clock = time.toISOString().slice(11, 19);
      opts.stream.write(`${clock} ${level.toUpperCase().padEnd(5)} ${text}${pairs.join('')}\n`);
      return;
    }
    const line: Record<string, unknown> = { time: time.toISOString(), level, msg: text };
    // A field named like a line key must not overwrite it, but is kept under another name.
    for (const [key, value] of Object.entries(extra)) line[RESERVED.has(key) ? `field.${key}` : key] = value;
    opts.stream.write(`${JSON.stringify(line)}\n`);
  };

  const make = (base: Record<string, unknown>): Logger => ({
    debug: (msg, fields) => write('debug', msg, base, fields),
    info: (msg, fields) => write('info', msg, base, fields),
    warn: (msg, fields) => write('warn', msg, base, fields),
    error: (msg, fields) => write('error', msg, base, fields),
    child: (fields) => make({ ...base, ...fields }),
  });
  return make({});
}

/** A logger that writes nothing, for tests and library use. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
