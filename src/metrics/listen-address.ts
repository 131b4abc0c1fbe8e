/** Where the operations server listens: `WXLOG_METRICS_ADDR` read as a host and a port. */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Reads `HOST:PORT` (`127.0.0.1:9464`, `0.0.0.0:9464`, `[::1]:9464`; port 0 picks a free one). Throws a
 * RangeError naming `name` and the form expected.
 */
export function parseListenAddress(text: string, name = 'WXLOG_METRICS_ADDR'): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  const host = match?.[1] ?? match?.[2];
  if (host === undefined || !(port >= 0 && port <= 65_535)) {
    throw new RangeError(
      `${name} must be HOST:PORT, like 127.0.0.1:9464, 0.0.0.0:9464 (every interface) or [::1]:9464; got ${JSON.stringify(text)}`,
    );
  }
  return { host, port };
}
