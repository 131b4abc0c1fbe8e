import { request } from 'undici';
import { cstDayBounds, type CstDay } from '../src/wechat/cst-day.js';

// What both bare references (bench/reference-loop.ts for SQLite, bench/pg-reference-loop.ts for PostgreSQL)
// read the simulator with: plain undici GETs, one page after another, each page handed to the store before
// the next is asked for. The one concession: a GET whose keep-alive connection the server closed just then
// is sent once more, as any HTTP client must (Node's server drops connections idle for 5 s, and a slow disk
// can make a page's insert take that long).

export interface ReferenceResult {
  entries: number;
  calls: number;
  /** Requests sent again after the server closed their connection. */
  resent: number;
}

/** An entry as the simulator serves it, read without validation. */
export interface RawEntry {
  timestamp: number;
  traceid?: string;
  level?: number;
  platform?: number;
  libraryVersion?: string;
  clientVersion?: string;
  id?: string;
  url?: string;
  filterMsg?: string;
  msg?: { time?: number; level?: number; msg?: unknown[] }[];
}

/** The simulator, as the references ask it. */
export interface PagesSource {
  apiBase: string;
  appid: string;
  secret: string;
  pageSize: number;
}

async function json(url: string, init?: { method: 'POST'; body: string }): Promise<unknown> {
  const { body } = await request(url, init ? { ...init, headers: { 'content-type': 'application/json' } } : {});
  return body.json();
}

function connectionClosed(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET';
}

/** Reads every page of `days` from the simulator, handing each to `savePage` (awaited) before the next. */
export async function readEveryPage(
  source: PagesSource,
  days: readonly CstDay[],
  savePage: (list: RawEntry[], seenAt: number) => void | Promise<void>,
): Promise<ReferenceResult> {
  const token = (await json(`${source.apiBase}/cgi-bin/stable_token`, {
    method: 'POST',
    body: JSON.stringify({ grant_type: 'client_credential', appid: source.appid, secret: source.secret }),
  })) as { access_token: string };
  let entries = 0;
  let calls = 0;
  let resent = 0;
  for (const date of days) {
    const { begin, end } = cstDayBounds(date);
    for (let start = 0; ;) {
      const query = new URLSearchParams({
        access_token: token.access_token,
        date,
        begintime: String(begin),
        endtime: String(end),
        start: String(start),
        limit: String(source.pageSize),
      });
      calls += 1;
      const url = `${source.apiBase}/wxaapi/userlog/userlog_search?${query.toString()}`;
      const answer = (await json(url).catch((e: unknown) => {
        if (!connectionClosed(e)) throw e;
        resent += 1;
        return json(url);
      })) as { errcode: number; data: { list: RawEntry[]; total: number } };
      if (answer.errcode !== 0) throw new Error(`the simulator answered errcode ${answer.errcode}`);
      const { list, total } = answer.data;
      await savePage(list, Math.floor(Date.now() / 1000));
      entries += list.length;
      start += list.length;
      if (list.length === 0 || start >= total) break;
    }
  }
  return { entries, calls, resent };
}
