import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the service answers the next requests with, instead of a fresh token. */
export type TokenServiceMode =
  | { answer: 'token' }
  /** The token it gave this AppID last time, again (a cache that does not know WeChat refused it). */
  | { answer: 'same' }
  | { answer: 'errcode'; errcode: number; errmsg?: string }
  | { answer: 'status'; status: number }
  | { answer: 'text'; body: string };

export interface TokenServiceOptions {
  /** Makes the token for an AppID; default `TKN-<appid>-<n>-<random>`. May ask a real token endpoint. */
  issue?: (appid: string, n: number) => string | Promise<string>;
  /** `expires_in` of every answer; `undefined` leaves it out. Default 7200. */
  expiresIn?: number | undefined;
}

/**
 * A central token service on 127.0.0.1 (a random port) for the `url` token mode: `GET /token?appid=…` answers
 * `{"access_token", "expires_in"}` per AppID, or what it is told to (`set`). It counts the requests.
 */
export interface TokenService {
  /** The tokenUrl to configure: `http://127.0.0.1:PORT/token?appid={appid}`. */
  tokenUrl: string;
  origin: string;
  /** Requests per AppID, as the service received them (decoded). */
  readonly requests: Map<string, number>;
  /** Every token handed out, in order: tests look for them in messages and logs. */
  readonly issued: string[];
  /** The last token handed to `appid`. */
  last(appid: string): string | undefined;
  set(mode: TokenServiceMode): void;
  close(): Promise<void>;
}

export async function startTokenService(options: TokenServiceOptions = {}): Promise<TokenService> {
  const requests = new Map<string, number>();
  const issued: string[] = [];
  const lastOf = new Map<string, string>();
  let mode: TokenServiceMode = { answer: 'token' };
  const expiresIn = 'expiresIn' in options ? options.expiresIn : 7200;
  const issue =
    options.issue ?? ((appid: string, n: number) => `TKN-${appid}-${n}-${Math.random().toString(36).slice(2, 10)}`);

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json' }).end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const appid = url.searchParams.get('appid');
    if (req.method !== 'GET' || url.pathname !== '/token' || appid === null) return send(res, 404, { error: 'no' });
    const n = (requests.get(appid) ?? 0) + 1;
    requests.set(appid, n);
    const current = mode;
    if (current.answer === 'errcode') return send(res, 200, { errcode: current.errcode, errmsg: current.errmsg ?? '' });
    if (current.answer === 'status') return send(res, current.status, { error: 'status' });
    if (current.answer === 'text') return send(res, 200, current.body);
    const previous = lastOf.get(appid);
    const token = current.answer === 'same' && previous !== undefined ? previous : await issue(appid, n);
    lastOf.set(appid, token);
    issued.push(token);
    send(res, 200, expiresIn === undefined ? { access_token: token } : { access_token: token, expires_in: expiresIn });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, { error: 'issue failed' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    tokenUrl: `${origin}/token?appid={appid}`,
    origin,
    requests,
    issued,
    last: (appid) => lastOf.get(appid),
    set: (next) => {
      mode = next;
    },
    // Idempotent: a test may close the service to make it unreachable, and the cleanup closes it again.
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      }),
  };
}
