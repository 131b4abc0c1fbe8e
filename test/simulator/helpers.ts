import { cstDayBounds } from '../../src/wechat/cst-day.js';
import type { LogEntry } from '../../src/wechat/types.js';
import type { Simulator } from '../../src/simulator/simulator.js';

/** 2024-06-15 12:00:00 CST: a fixed calendar instant, so retention days and "today" are known. */
export const NOW = Date.UTC(2024, 5, 15, 4, 0, 0);
export const TODAY = '20240615';
export const YESTERDAY = '20240614';

export type Json = Record<string, unknown>;

export interface SearchResult {
  errcode: number;
  errmsg: string;
  data?: { list: LogEntry[]; total: number };
}

export async function postJson(url: string, body: unknown): Promise<Json> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return (await res.json()) as Json;
}

export async function getJson(url: string): Promise<Json> {
  return (await (await fetch(url)).json()) as Json;
}

export async function stableToken(sim: Simulator, extra: Json = {}): Promise<string> {
  const body = await postJson(`${sim.url}/cgi-bin/stable_token`, {
    grant_type: 'client_credential',
    appid: sim.options.appid,
    secret: sim.options.secret,
    ...extra,
  });
  if (typeof body['access_token'] !== 'string') throw new Error(`no token: ${JSON.stringify(body)}`);
  return body['access_token'];
}

/** A stable token of one app of a many-apps simulator. */
export async function stableTokenOf(sim: Simulator, app: { appid: string; secret: string }): Promise<string> {
  const body = await postJson(`${sim.url}/cgi-bin/stable_token`, {
    grant_type: 'client_credential',
    appid: app.appid,
    secret: app.secret,
  });
  if (typeof body['access_token'] !== 'string') throw new Error(`no token: ${JSON.stringify(body)}`);
  return body['access_token'];
}

/** GET of the central token service for `appid`: its HTTP status and parsed body (undefined when not JSON). */
export async function askTokenService(sim: Simulator, appid: string): Promise<{ status: number; body?: Json }> {
  const res = await fetch(sim.tokenServiceUrl.replace('{appid}', encodeURIComponent(appid)));
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as Json };
  } catch {
    return { status: res.status };
  }
}

export function searchUrl(sim: Simulator, params: Record<string, string | number | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) query.set(key, String(value));
  return `${sim.url}/wxaapi/userlog/userlog_search?${query.toString()}`;
}

export async function search(
  sim: Simulator,
  token: string,
  params: Record<string, string | number | undefined>,
): Promise<SearchResult> {
  return (await getJson(searchUrl(sim, { access_token: token, ...params }))) as unknown as SearchResult;
}

/** The whole of `day` as a search window. */
export function wholeDay(day: string): { date: string; begintime: number; endtime: number } {
  const { begin, end } = cstDayBounds(day);
  return { date: day, begintime: begin, endtime: end };
}

/** Pages through a window with offset paging until `total` is reached; returns every entry. */
export async function pageAll(
  sim: Simulator,
  token: string,
  params: Record<string, string | number | undefined>,
  limit = 50,
): Promise<{ list: LogEntry[]; totals: number[] }> {
  const list: LogEntry[] = [];
  const totals: number[] = [];
  for (;;) {
    const res = await search(sim, token, { ...params, start: list.length, limit });
    if (res.errcode !== 0 || !res.data) throw new Error(`search failed: ${JSON.stringify(res)}`);
    totals.push(res.data.total);
    list.push(...res.data.list);
    if (res.data.list.length === 0 || list.length >= res.data.total) return { list, totals };
  }
}
