/**
 * True for a URL hostname that stays on this machine: `localhost`, 127.0.0.0/8 or `[::1]`. Only such an
 * API base (the simulator) may run with a rate interval shorter than WeChat's minute.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host === '[::1]') return true;
  const octets = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return octets !== null && octets.slice(1).every((o) => Number(o) <= 255);
}
