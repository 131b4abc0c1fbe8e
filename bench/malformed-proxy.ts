import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';

/** A canned answer to every `userlog_search`, with HTTP status 200. */
export interface CannedAnswer {
  contentType: string;
  body: string;
}

export interface MalformedProxy {
  readonly url: string;
  /** Answer searches with `answer` from now on; undefined passes them through again. */
  answerSearches(answer: CannedAnswer | undefined): void;
  close(): Promise<void>;
}

const SEARCH_PATH = '/wxaapi/userlog/userlog_search';

/**
 * A loopback proxy in front of the simulator that passes tokens and scenes through and can answer
 * searches with malformed bodies the simulator does not produce itself (missing `data`, a `list` that
 * is not an array, entries of the wrong types…).
 */
export async function startMalformedProxy(upstream: string): Promise<MalformedProxy> {
  let canned: CannedAnswer | undefined;
  const forward = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const answer = await request(`${upstream}${req.url ?? '/'}`, {
      method: req.method === 'POST' ? 'POST' : 'GET',
      headers: req.headers['content-type'] === undefined ? {} : { 'content-type': req.headers['content-type'] },
      body: chunks.length === 0 ? null : Buffer.concat(chunks),
    });
    const body = Buffer.from(await answer.body.arrayBuffer());
    res.writeHead(answer.statusCode, {
      'content-type': String(answer.headers['content-type'] ?? 'application/json'),
      'content-length': body.length,
    });
    res.end(body);
  };
  const server = createServer((req, res) => {
    if (canned !== undefined && (req.url ?? '').startsWith(SEARCH_PATH)) {
      res.writeHead(200, { 'content-type': canned.contentType, 'content-length': Buffer.byteLength(canned.body) });
      res.end(canned.body);
      return;
    }
    forward(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    answerSearches: (answer) => {
      canned = answer;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
