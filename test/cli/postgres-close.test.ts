import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../helpers/postgres-server.js';
import { runCli } from './run-cli.js';

// A command on PostgreSQL ends its connections as libpq does: Terminate sent, then the socket closed at once,
// without waiting for the server to close its end, which the server does only once the backend has exited
// (4–6 ms here after a query on log_lines, which every `wxlog query` spent before it could exit).

/**
 * A TCP proxy to the test server that passes everything on but the server's close, as a server whose backends
 * never finish exiting: a client that waits for the server to close never exits. `goodbyes` resolves, for
 * each connection, once the server has closed its end (it read Terminate and ended the backend).
 */
async function slowClosingProxy(target: string): Promise<{ url: string; goodbyes: Promise<void>[]; server: Server }> {
  const goodbyes: Promise<void>[] = [];
  const to = new URL(target);
  // Half-open allowed: the client's end does not end the proxy's side; only the server's close would.
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect(Number(to.port), to.hostname);
    client.pipe(upstream);
    upstream.pipe(client, { end: false });
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    goodbyes.push(once(upstream, 'end').then(() => undefined));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = new URL(target);
  url.port = String((server.address() as AddressInfo).port);
  return { url: url.toString(), goodbyes, server };
}

let proxy: Server | undefined;
afterEach(() => {
  proxy?.close();
  proxy = undefined;
});

describe('a command on PostgreSQL', () => {
  it.each([
    ['wxlog migrate (the export store)', ['migrate']],
    ['wxlog query (the read store)', ['query', 'SELECT count(*) AS n FROM log_lines']],
  ])(
    '%s exits once it has said goodbye, without waiting for the server to close the connection',
    async (_, args) => {
      const url = await createTestDatabase(inject('postgresUrl'), 'wxlog_close');
      expect((await runCli(['migrate'], { WXLOG_DB: url })).status).toBe(0);
      const slow = await slowClosingProxy(url);
      proxy = slow.server;
      // runCli kills the process after 20 s: a command waiting for the server's close would end there, status null.
      const result = await runCli(args, { WXLOG_DB: slow.url, WXLOG_LOG_LEVEL: 'warn' });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      if (args[0] === 'query') expect(result.stdout).toContain('(1 row)');
      expect(slow.goodbyes.length).toBeGreaterThan(0);
      // Every connection was ended by the server after Terminate: a goodbye, not a dropped connection.
      await Promise.all(slow.goodbyes);
    },
    40_000,
  );
});
