import { request as httpRequest, Agent } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log/logger.js';
import { createMetrics } from '../../src/metrics/export-metrics.js';
import { startOperationsServer, type OperationsServer } from '../../src/metrics/operations-server.js';
import { parseExposition, valueOf } from './scrape.js';

let server: OperationsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface Answer {
  status: number;
  type: string | undefined;
  body: string;
}

function call(url: string, method = 'GET', agent?: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('startOperationsServer', () => {
  it('serves /metrics in the registry content type, /livez, and /readyz as ready() says', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.listener({ type: 'request', appid: 'wx1', api: 'search', result: 'ok', durationMs: 5 });
    let ready = false;
    server = await startOperationsServer({
      host: '127.0.0.1',
      port: 0,
      metrics,
      ready: () => ready,
      logger: silentLogger,
    });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const scraped = await call(`${server.url}/metrics`);
    expect(scraped.status).toBe(200);
    expect(scraped.type).toBe(metrics.registry.contentType);
    expect(valueOf(parseExposition(scraped.body), 'wxlog_search_requests_total', { appid: 'wx1' })).toBe(1);

    expect((await call(`${server.url}/livez`)).status).toBe(200);
    expect((await call(`${server.url}/readyz`)).status).toBe(503);
    ready = true;
    expect((await call(`${server.url}/readyz`)).status).toBe(200);
    expect((await call(`${server.url}/readyz?verbose=1`)).status).toBe(200);
    ready = false;
    expect((await call(`${server.url}/readyz`)).status).toBe(503);
  });

  it('answers 404 to any other path and 405 to any other method', async () => {
    server = await startOperationsServer({
      host: '127.0.0.1',
      port: 0,
      metrics: createMetrics({ defaultMetrics: false }),
      ready: () => true,
      logger: silentLogger,
    });
    expect((await call(`${server.url}/`)).status).toBe(404);
    expect((await call(`${server.url}/metrics/extra`)).status).toBe(404);
    expect((await call(`${server.url}/healthz`)).status).toBe(404);
    for (const method of ['POST', 'PUT', 'DELETE', 'HEAD']) {
      const answer = await call(`${server.url}/metrics`, method);
      expect(answer.status).toBe(405);
    }
  });

  it('listens on the address given only', async () => {
    server = await startOperationsServer({
      host: '127.0.0.1',
      port: 0,
      metrics: createMetrics({ defaultMetrics: false }),
      ready: () => true,
      logger: silentLogger,
    });
    const port = new URL(server.url).port;
    // ::1 is another address of the same host: nothing listens there.
    await expect(call(`http://[::1]:${port}/livez`)).rejects.toThrow(/ECONNREFUSED|EADDRNOTAVAIL|ENETUNREACH/);
  });

  it('closes keep-alive connections when closed', async () => {
    server = await startOperationsServer({
      host: '127.0.0.1',
      port: 0,
      metrics: createMetrics({ defaultMetrics: false }),
      ready: () => true,
      logger: silentLogger,
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    expect((await call(`${server.url}/livez`, 'GET', agent)).status).toBe(200);
    const open = Object.values(agent.freeSockets).flat();
    expect(open).toHaveLength(1);
    const closedSocket = new Promise<void>((resolve) => open[0]?.once('close', () => resolve()));
    const started = Date.now();
    await server.close();
    await closedSocket;
    expect(Date.now() - started).toBeLessThan(1000);
    server = undefined;
    agent.destroy();
  });

  it('refuses a port outside 0..65535', async () => {
    await expect(
      startOperationsServer({
        host: '127.0.0.1',
        port: 70_000,
        metrics: createMetrics({ defaultMetrics: false }),
        ready: () => true,
        logger: silentLogger,
      }),
    ).rejects.toThrow('Expected `port` to be an integer from 0 to 65535, got 70000');
  });
});
