import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../log/logger.js';

export interface OperationsServerOptions {
  /** The address to listen on, and only that one: `127.0.0.1`, `0.0.0.0`, `::`. */
  host: string;
  /** 0 picks a free port (the `url` returned says which). */
  port: number;
  metrics: { registry: Registry };
  /** Whether `/readyz` answers 200: the database is open and migrated and the daemon is not shutting down. */
  ready: () => boolean;
  logger: Logger;
}

export interface OperationsServer {
  /** `http://HOST:PORT`, with the port actually bound. */
  url: string;
  /** Stops listening and closes every connection, keep-alive ones included. */
  close(): Promise<void>;
}

const PATHS = new Set(['/metrics', '/livez', '/readyz']);

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}

/**
 * The daemon's HTTP endpoints for Prometheus and Kubernetes (docs/operations.md): `GET /metrics`, `GET
 * /livez`, `GET /readyz`; any other path is 404, any other method 405.
 */
export async function startOperationsServer(o: OperationsServerOptions): Promise<OperationsServer> {
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65_535)
    throw new RangeError(`Expected \`port\` to be an integer from 0 to 65535, got ${o.port}`);
  const log = o.logger.child({ component: 'operations-server' });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (!PATHS.has(path)) return send(res, 404, 'not found: this server has /metrics, /livez and /readyz\n');
    if (req.method !== 'GET') return send(res, 405, 'method not allowed: use GET\n', { allow: 'GET' });
    if (path === '/livez') return send(res, 200, 'ok\n');
    if (path === '/readyz') return o.ready() ? send(res, 200, 'ready\n') : send(res, 503, 'not ready\n');
    const text = await o.metrics.registry.metrics();
    send(res, 200, text, { 'content-type': o.metrics.registry.contentType });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      log.error('operations endpoint failed', { path: req.url, error: e instanceof Error ? e.message : String(e) });
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: o.host, port: o.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  log.info('operations endpoints listening', { url, paths: [...PATHS] });

  let closed: Promise<void> | undefined;
  return {
    url,
    close: () => {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        // A scraper keeps its connection open between scrapes: close() alone would wait for it to go idle.
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
