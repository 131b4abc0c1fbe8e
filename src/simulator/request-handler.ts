import type { IncomingMessage, ServerResponse } from 'node:http';
import { cstDayOf } from '../wechat/cst-day.js';
import type { ResolvedSimulatorOptions, SimulatorStats } from './simulator.js';
import { quotaAnswer } from './api-quota.js';
import { BAD_GATEWAY_HTML, HTML_PAGE } from './faults.js';
import type { AppRegistry } from './app-registry.js';
import { SIMULATED_SCENES } from './scenes.js';
import { parseSearchQuery } from './search-params.js';
import type { SimulatedApp } from './simulated-app.js';
import { TOKEN_SERVICE_PATH, tokenServiceAnswer } from './token-service.js';
import { ERRORS, type WeChatError } from './wechat-errors.js';

export interface RequestHandlerDeps {
  /** Read on every request: `setFaults` changes `faults` in place. */
  options: ResolvedSimulatorOptions;
  /** The apps served, by AppID and by token: each has its store, quota, tokens, limiter and dice. */
  apps: AppRegistry;
  /** Totals over every app; each app counts its own requests in its own stats too. */
  stats: SimulatorStats;
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
  const { options, apps, stats } = deps;

  /** Counts a request in the totals and, when it names a known app, in that app's stats. */
  const count = (app: SimulatedApp | undefined, add: (s: SimulatorStats) => void): void => {
    add(stats);
    if (app) add(app.stats);
  };

  /** The app a token request names (undefined when none or unknown) and the error its credentials earn. */
  const credentials = (
    grantType: unknown,
    appid: unknown,
    secret: unknown,
  ): { app: SimulatedApp | undefined; error: WeChatError | undefined } => {
    const app = typeof appid === 'string' && appid !== '' ? apps.get(appid) : undefined;
    const error = (() => {
      if (appid === undefined || appid === null || appid === '') return ERRORS.missingAppid;
      if (secret === undefined || secret === null || secret === '') return ERRORS.missingSecret;
      if (grantType !== 'client_credential') return ERRORS.invalidGrantType;
      if (!app) return ERRORS.invalidAppid;
      if (secret !== app.secret) return ERRORS.invalidSecret;
      return undefined;
    })();
    return { app, error };
  };

  /** The app an API call's token belongs to, or the error answer: the token alone decides the app. */
  const tokenOwner = (params: URLSearchParams): { app: SimulatedApp } | { app?: undefined; error: WeChatError } => {
    const token = params.get('access_token') ?? '';
    if (token === '') return { error: ERRORS.missingToken };
    const app = apps.byToken(token);
    if (!app) return { error: ERRORS.invalidToken };
    return { app };
  };

  const tokenError = (app: SimulatedApp, params: URLSearchParams): WeChatError | undefined => {
    const check = app.tokens.use(params.get('access_token') ?? undefined);
    if (check === 'missing') return ERRORS.missingToken;
    if (check === 'invalid') return ERRORS.invalidToken;
    if (check === 'expired') return ERRORS.expiredToken;
    return undefined;
  };

  const expiresIn = (ms: number): number => Math.max(1, Math.floor(ms / 1000));

  const stableToken = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const text = await readBody(req);
    let body: unknown;
    try {
      body = text === undefined ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      count(undefined, (s) => (s.tokenRequests.stable += 1));
      return sendJson(res, ERRORS.badBody);
    }
    const fields = body as Record<string, unknown>;
    const force = fields['force_refresh'] === true;
    const { app, error } = credentials(fields['grant_type'], fields['appid'], fields['secret']);
    count(app, (s) => {
      s.tokenRequests.stable += 1;
      if (force) s.tokenRequests.forceRefresh += 1;
    });
    if (error || !app) return sendJson(res, error ?? ERRORS.invalidAppid);
    if (force) {
      const day = cstDayOf(options.now() / 1000);
      const refreshes = app.forceRefreshes;
      if (refreshes.day !== day) Object.assign(refreshes, { day, count: 0 });
      if (refreshes.count >= options.forceRefreshPerDay) return sendJson(res, ERRORS.dailyQuota);
      refreshes.count += 1;
    }
    const { token, expiresInMs } = app.tokens.stable(force);
    return sendJson(res, { access_token: token, expires_in: expiresIn(expiresInMs) });
  };

  const classicToken = (params: URLSearchParams, res: ServerResponse): void => {
    const { app, error } = credentials(
      params.get('grant_type'),
      params.get('appid') ?? undefined,
      params.get('secret') ?? undefined,
    );
    count(app, (s) => (s.tokenRequests.classic += 1));
    if (error || !app) return sendJson(res, error ?? ERRORS.invalidAppid);
    const { token, expiresInMs } = app.tokens.classic();
    return sendJson(res, { access_token: token, expires_in: expiresIn(expiresInMs) });
  };

  const tokenService = (params: URLSearchParams, res: ServerResponse): void => {
    const appid = params.get('appid');
    const app = appid === null || appid === '' ? undefined : apps.get(appid);
    count(app, (s) => (s.tokenServiceRequests += 1));
    const answer = tokenServiceAnswer(appid, app, app && apps.tokenServiceFailure(app.appid));
    if (answer.status === 500) return send(res, 500, 'text/plain; charset=utf-8', 'Internal Server Error\n');
    return sendJson(res, answer.body);
  };

  const scenes = (params: URLSearchParams, res: ServerResponse): void => {
    const owner = tokenOwner(params);
    count(owner.app, (s) => (s.sceneRequests += 1));
    if (!owner.app) return sendJson(res, owner.error);
    const error = tokenError(owner.app, params);
    if (error) return sendJson(res, error);
    return sendJson(res, { errcode: 0, errmsg: 'ok', scene: SIMULATED_SCENES });
  };

  /** The answer to a search that reached the data, without side effects. */
  const searchAnswer = (
    app: SimulatedApp,
    params: URLSearchParams,
  ): { body: object; served?: { date: string; begintime: number; endtime: number; start: number } } => {
    const { store } = app;
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

  const afterServedPage = (
    app: SimulatedApp,
    page: { date: string; begintime: number; endtime: number; start: number },
  ): void => {
    if (page.start === 0) return;
    const next = app.pagingInserts[0];
    if (!next) return;
    next.remaining -= 1;
    if (next.remaining <= 0) app.pagingInserts.shift();
    // Inside the window being paged, so that its total changes under the client: not at an exclusive endtime.
    const hi = Math.min(options.endtime === 'exclusive' ? page.endtime - 1 : page.endtime, app.store.nowSeconds());
    if (hi >= page.begintime) app.store.add(page.date, next.count, [page.begintime, hi]);
  };

  const search = async (req: IncomingMessage, params: URLSearchParams, res: ServerResponse): Promise<void> => {
    const arrived = Date.now();
    const owner = tokenOwner(params);
    count(owner.app, (s) => s.searchArrivals.push(arrived));
    if (!owner.app) return sendJson(res, owner.error);
    const { app } = owner;
    const error = tokenError(app, params);
    if (error) return sendJson(res, error);
    if (!app.limiter.tryAcquire()) {
      count(app, (s) => (s.searchRateLimited += 1));
      return sendJson(res, ERRORS.rateLimited);
    }
    if (app.quota.exhausted()) return sendJson(res, ERRORS.dailyQuota);
    switch (app.dice.roll(options.faults)) {
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
        const whole = Buffer.from(JSON.stringify(searchAnswer(app, params).body));
        return send(res, 200, JSON_TYPE, whole.subarray(0, Math.floor(whole.length / 2)));
      }
      case 'stall':
        if (!(await waitWhileConnected(options.faults?.stallMs ?? 0, res, deps.closing))) return undefined;
        break;
      case undefined:
        break;
    }
    const answer = searchAnswer(app, params);
    sendJson(res, answer.body);
    if (answer.served) {
      count(app, (s) => (s.searchServed += 1));
      app.quota.record();
      afterServedPage(app, answer.served);
    }
    return undefined;
  };

  const quotaGet = async (req: IncomingMessage, params: URLSearchParams, res: ServerResponse): Promise<void> => {
    const owner = tokenOwner(params);
    count(owner.app, (s) => (s.quotaRequests += 1));
    if (!owner.app) return sendJson(res, owner.error);
    const error = tokenError(owner.app, params);
    if (error) return sendJson(res, error);
    const rate = { callsPerMinute: owner.app.callsPerMinute, intervalMs: options.intervalMs };
    return sendJson(res, quotaAnswer(await readBody(req), owner.app.quota, rate));
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
      case TOKEN_SERVICE_PATH:
        if (allow('GET')) tokenService(url.searchParams, res);
        return;
      default:
        send(res, 404, 'text/plain; charset=utf-8', 'Not Found\n');
    }
  };

  // The network's latency (options.latencyMs): the request is handled once it has passed.
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (options.latencyMs > 0 && !(await waitWhileConnected(options.latencyMs, res, deps.closing))) return;
    await route(req, res);
  };

  return (req, res) => {
    handle(req, res).catch(() => {
      // Unexpected errors never leak details (a token could be in them); the client sees a 500.
      if (!res.headersSent && !res.destroyed) send(res, 500, 'text/plain; charset=utf-8', 'Internal Server Error\n');
      else res.destroy();
    });
  };
}
