/** A wait that a caller can cut short: the rate budget's pauses and the client's backoff share it. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/**
 * Resolves after `ms`, or rejects with the signal's own reason when it aborts first, so that a caller
 * sees why it was stopped (an abort of the run, a closed client), not a generic AbortError.
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  /* eslint-disable @typescript-eslint/prefer-promise-reject-errors -- the signal's reason, whatever it is, is the point */
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  /* eslint-enable @typescript-eslint/prefer-promise-reject-errors */
}
