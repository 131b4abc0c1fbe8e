import type { FaultKind, FaultOptions } from './simulator.js';
import { createRng, hashInts, type Rng } from './prng.js';

export const FAULT_KINDS: readonly FaultKind[] = [
  'errcode-1',
  'http-502',
  'reset',
  'truncated-json',
  'stall',
  'html',
  'bad-shape',
];
export const DEFAULT_FAULT_KINDS: readonly FaultKind[] = ['errcode-1', 'http-502', 'reset', 'truncated-json'];
const DEFAULT_STALL_MS = 30_000;

export type ResolvedFaults = Required<FaultOptions>;

/** Validates fault options and fills in their defaults; `undefined` means no faults. */
export function resolveFaults(faults: FaultOptions | undefined): ResolvedFaults | undefined {
  if (faults === undefined) return undefined;
  const { rate, kinds = DEFAULT_FAULT_KINDS, stallMs = DEFAULT_STALL_MS } = faults;
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) {
    throw new RangeError(`Expected \`faults.rate\` to be a number from 0 to 1, got ${String(rate)}`);
  }
  if (!Array.isArray(kinds) || kinds.length === 0 || kinds.some((k) => !FAULT_KINDS.includes(k as FaultKind))) {
    throw new RangeError(
      `Expected \`faults.kinds\` to be a non-empty list of ${FAULT_KINDS.join(', ')}, got ${JSON.stringify(kinds)}`,
    );
  }
  if (typeof stallMs !== 'number' || !Number.isFinite(stallMs) || stallMs < 0) {
    throw new RangeError(`Expected \`faults.stallMs\` to be a finite number >= 0, got ${String(stallMs)}`);
  }
  // Array.isArray above widened `kinds` to any[]: every element was just checked to be a FaultKind.
  return { rate, kinds: [...(kinds as FaultKind[])], stallMs };
}

/** Rolls, per `userlog_search` response, whether it fails and how: seeded, so a run can be replayed. */
export class FaultDice {
  readonly #rng: Rng;

  constructor(seed: number) {
    this.#rng = createRng(hashInts(seed, 0xfa17));
  }

  roll(faults: ResolvedFaults | undefined): FaultKind | undefined {
    if (!faults || faults.rate <= 0) return undefined;
    if (!(this.#rng.next() < faults.rate)) return undefined;
    return this.#rng.pick(faults.kinds);
  }
}

/** What a gateway in front of WeChat answers when the backend is down. */
export const BAD_GATEWAY_HTML =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

/** A captive-portal or error page served with status 200, as proxies sometimes do. */
export const HTML_PAGE =
  '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8"><title>系统繁忙</title></head>\n<body><h1>系统繁忙,请稍后再试</h1><p>The system is busy, please try again later.</p></body></html>\n';
