import * as z from 'zod';
import type { ServedEntry } from './served-entry.js';

/**
 * Shapes of what WeChat returns, validated leniently: unknown fields are kept, every optional field
 * may be missing, and message arguments may be any JSON value.
 */

/** Any JSON value: `msg[].msg` items can be strings, numbers, booleans, null, objects or arrays. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export const logMessageSchema = z.looseObject({
  time: z.number().optional(),
  msg: z.array(z.json()).optional(),
  level: z.number().optional(),
});

export const logEntrySchema = z.looseObject({
  level: z.number().optional(),
  libraryVersion: z.string().optional(),
  clientVersion: z.string().optional(),
  id: z.string().optional(),
  timestamp: z.number(),
  platform: z.number().optional(),
  url: z.string().optional(),
  msg: z.array(logMessageSchema).optional(),
  traceid: z.string().optional(),
  filterMsg: z.string().optional(),
});

/** One realtime-log entry as `userlog_search` returns it in `data.list`. */
export type LogEntry = z.infer<typeof logEntrySchema>;
export type LogMessage = z.infer<typeof logMessageSchema>;

/** One page of `userlog_search`: its entries, each read leniently, and the server's total for the query. */
export interface SearchPage {
  list: ServedEntry[];
  total: number;
  /** Entries of `list` that did not have the documented shape (kept all the same). */
  unexpected: number;
}

export const sceneSchema = z.looseObject({
  name: z.string(),
  value: z.union([z.string(), z.number()]),
});

/** Query of one `userlog_search` call: `begintime`/`endtime` are unix seconds inside `date`, sent as given. */
export interface SearchParams {
  /** CST day, YYYYMMDD. */
  date: string;
  begintime: number;
  endtime: number;
  start: number;
  limit: number;
  filters?: SearchFilters;
}

/** Optional server-side filters of `userlog_search` (docs/configuration.md). */
export interface SearchFilters {
  /** 2 Info, 4 Warn, 8 Error: entries whose level is at least this. */
  level?: number | undefined;
  filterMsg?: string | undefined;
  url?: string | undefined;
  /** The API's `id`: a user's OpenID. */
  openid?: string | undefined;
  traceId?: string | undefined;
}

/** One row of getSceneList, with `value` always kept as text. */
export interface Scene {
  name: string;
  value: string;
}
