import type { IncomingMessage, ServerResponse } from 'node:http';
import { cstDayOf } from '../wechat/cst-day.js';
import type { ResolvedSimulatorOptions, SimulatorStats } from './simulator.js';
import { quotaAnswer, type ApiQuota } from './api-quota.js';
import { BAD_GATEWAY_HTML, HTML_PAGE, type FaultDice } from './faults.js';
import type { LogStore } from './log-store.js';
import { SIMULATED_SCENES } from './scenes.js';
import { parseSearchQuery } from './search-params.js';
import type { SlidingLimiter } from './sliding-limiter.js';
import type { TokenRegistry } from './token-registry.js';
import { ERRORS, type WeChatError } from './wechat-errors.js';

/** A pending `addDuringPaging` request. */
export interface PagingInsert {
  count: number;
  remaining: number;
}

export interface RequestHandlerDeps {
  /** Read on every request: `setFaults` changes `faults` in place. */
  options: ResolvedSimulatorOptions;
  store: LogStore;
  /** Daily quota of `userlog_search`, reported by getApiQuota. */
  quota: ApiQuota;
  tokens: TokenRegistry;
  limiter: SlidingLimiter;
  dice: FaultDice;
  stats: SimulatorStats;
  pagingInserts: PagingInsert[];
  /** Aborted when the simulator closes: stalled requests stop waiting. */
  closing: AbortSignal;
}

const JSON_TYPE = 'application/json; encoding=utf-8';
const MAX_BODY_BYTES = 64 * 1024;

function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendJson(res: ServerResponse, body: unknown): void {
  send(res, 200, JSON_TYPE, JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Resolves true after `ms`, or false as soon as the client goes away or the simulator closes. */
function waitWhileConnected(ms: number, res: ServerResponse, closing: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (closing.aborted || res.destroyed) {
      resolve(false);
      return;
    }
    const finish = (answered: boolean): void => {
      clearTimeout(timer);
      res.off('close', gone);
      closing.removeEventListener('abort', gone);
      resolve(answered);
    };
    const gone = (): void => finish(false);
    const timer = setTimeout(() => finish(true), ms);
    res.on('close', gone);
    closing.addEventListener('abort', gone);
  });
}

/** The HTTP side of the simulator: routes, credential and token checks, rate limit, faults. */
export function createRequestHandler(deps: RequestHandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { options, store, quota, tokens, limiter, dice, stats } = deps;
  const forceRefreshes = { day: '', count: 0 };

  const credentialError = (grantType: unknown, appid: unknown, secret: unknown): WeChatError | undefined => {
    if (appid === undefined || appid === null || appid === '') return ERRORS.missingAppid;
    if (secret === undefined || secret === null || secret === '') return ERRORS.missingSecret;
    if (grantType !== 'client_credential') return ERRORS.invalidGrantType;
    if (appid !== options.appid) return ERRORS.invalidAppid;
    if (secret !== options.secret) return ERRORS.invalidSecret;
    return undefined;
  };

  const tokenError = (params: URLSearchParams): WeChatError | undefined => {
    const check = tokens.use(params.get('access_token') ?? undefined);
    if (check === 'missing') return ERRORS.missingToken;
    if (check === 'invalid') return ERRORS.invalidToken;
    if (check === 'expired') return ERRORS.expiredToken;
    return undefined;
  };

  const expiresIn = (ms: number): number => Math.max(1, Math.floor(ms / 1000));

  const stableToken = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    stats.tokenRequests.stable += 1;
    const text = await readBody(req);
    let body: unknown;
    try {
      body = text === undefined ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return sendJson(res, ERRORS.badBody);
    const fields = body as Record<string, unknown>;
    const force = fields['force_refresh'] === true;
    if (force) stats.tokenRequests.forceRefresh += 1;
    const error = credentialError(fields['grant_type'], fields['appid'], fields['secret']);
    if (error) return sendJson(res, error);
    if (force) {
      const day = cstDayOf(options.now() / 1000);
      if (forceRefreshes.day !== day) Object.assign(forceRefreshes, { day, count: 0 });
      if (forceRefreshes.count >= options.forceRefreshPerDay) return sendJson(res, ERRORS.dailyQuota);
      forceRefreshes.count += 1;
    }
    const { token, expiresInMs } = tokens.stable(force);
    return sendJson(res, { access_token: token, expires_in: expiresIn(expiresInMs) });
  };

  const classicToken = (params: URLSearchParams, res: ServerResponse): void => {
    stats.tokenRequests.classic += 1;
    const error = credentialError(
      params.get('grant_type'),
      params.get('appid') ?? undefined,
      params.get('secret') ?? undefined,
    );
    if (error) return sendJson(res, error);
    const { token, expiresInMs } = tokens.classic();
    return sendJson(res, { access_token: token, expires_in: expiresIn(expiresInMs) });
  };

  const scenes = (params: URLSearchParams, res: ServerResponse): void => {
    stats.sceneRequests += 1;
    const error = tokenError(params);
    if (error) return sendJson(res, error);
    return sendJson(res, { errcode: 0, errmsg: 'ok', scene: SIMULATED_SCENES });
  };

  /** The answer to a search that reached the data, without side effects. */
  const searchAnswer = (
    params: URLSearchParams,
  ): { body: object; served?: { date: string; begintime: number; endtime: number; start: number } } => {
    const parsed = parseSearchQuery(params, {
      retentionDays: store.retentionDays(),
      maxPageSize: options.maxPageSize,
      pageSizeCapMode: options.pageSizeCapMode,
      maxOffset: options.maxOffset,
      offsetCapMode: options.offsetCapMode,
    });
    if (!parsed.ok) return { body: { errcode: 200002, errmsg: parsed.errmsg } };
    const { query } = parsed;
    const data = store.search(parsed.beyondOffset ? { ...query, limit: 0 } : query);
    return { body: { errcode: 0, errmsg: 'ok', data: { list: data.list, total: data.total } }, served: query };
  };

  const afterServedPage = (page: { date: string; begintime: number; endtime: number; start: number }): void => {
    if (page.start === 0) return;
    const next = deps.pagingInserts[0];
    if (!next) return;
    next.remaining -= 1;
    if (next.remaining <= 0) deps.pagingInserts.shift();
    // Inside the window being paged, so that its total changes under the client: not at an exclusive endtime.
    const hi = Math.min(options.endtime === 'exclusive' ? page.endtime - 1 : page.endtime, store.nowSeconds());
    if (hi >= page.begintime) store.add(page.date, next.count, [page.begintime, hi]);
  };

  const search = async (req: IncomingMessage, params: URLSearchParams, res: ServerResponse): Promise<void> => {
    stats.searchArrivals.push(Date.now());
    const error = tokenError(params);
    if (error) return sendJson(res, error);
    if (!limiter.tryAcquire()) {
      stats.searchRateLimited += 1;
      return sendJson(res, ERRORS.rateLimited);
    }
    if (quota.exhausted()) return sendJson(res, ERRORS.dailyQuota);
    switch (dice.roll(options.faults)) {
      case 'errcode-1':
        return sendJson(res, ERRORS.system);
      case 'http-502':
        return send(res, 502, 'text/html', BAD_GATEWAY_HTML);
      case 'reset':
        req.socket.resetAndDestroy();
        return undefined;
      case 'html':
        return send(res, 200, 'text/html; charset=utf-8', HTML_PAGE);
      case 'bad-shape':
        return sendJson(res, { errcode: 0, data: { list: 'x', total: 'y' } });
      case 'truncated-json': {
        const whole = Buffer.from(JSON.stringify(searchAnswer(params).body));
        return send(res, 200, JSON_TYPE, whole.subarray(0, Math.floor(whole.length / 2)));
      }
      case 'stall':
        if (!(await waitWhileConnected(options.faults?.stallMs ?? 0, res, deps.closing))) return undefined;
        break;
      case undefined:
        break;
    }
    const answer = searchAnswer(params);
    sendJson(res, answer.body);
    if (answer.served) {
      stats.searchServed += 1;
      quota.record();
      afterServedPage(answer.served);
    }
    return undefined;
  };

  const quotaGet = async (req: IncomingMessage, params: URLSearchParams, res: ServerResponse): Promise<void> => {
    stats.quotaRequests += 1;
    const error = tokenError(params);
    if (error) return sendJson(res, error);
    return sendJson(res, quotaAnswer(await readBody(req), quota, options));
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const method = req.method ?? 'GET';
    const allow = (expected: string): boolean => {
      if (method === expected) return true;
      res.writeHead(405, { allow: expected, 'content-length': 0 });
      res.end();
      return false;
    };
    switch (url.pathname) {
      case '/cgi-bin/stable_token':
        if (allow('POST')) await stableToken(req, res);
        return;
      case '/cgi-bin/token':
        if (allow('GET')) classicToken(url.searchParams, res);
        return;
      case '/wxaapi/userlog/userlog_search':
        if (allow('GET')) await search(req, url.searchParams, res);
        return;
      case '/cgi-bin/openapi/quota/get':
        if (allow('POST')) await quotaGet(req, url.searchParams, res);
        return;
      case '/wxaapi/log/get_scene':
        if (allow('GET')) scenes(url.searchParams, res);
        return;
      default:
        send(res, 404, 'text/plain; charset=utf-8', 'Not Found\n');
    }
  };

  return (req, res) => {
    route(req, res).catch(() => {
      // Unexpected errors never leak details (a token could be in them); the client sees a 500.
      if (!res.headersSent && !res.destroyed) send(res, 500, 'text/plain; charset=utf-8', 'Internal Server Error\n');
      else res.destroy();
    });
  };
}
