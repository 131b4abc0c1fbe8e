/**
 * What was thrown, as text, when it is not an `Error`: a string as it is, anything else as JSON where it
 * can be (`{"code":1}` says more than `[object Object]`).
 */
export function describeThrown(e: unknown): string {
  if (typeof e === 'string') return e;
  try {
    return JSON.stringify(e) ?? String(e);
  } catch {
    // Cycles and BigInts.
    return String(e);
  }
}

/** Narrows anything thrown to an `Error`, keeping real errors as they are. */
export function coerceError(e: unknown): Error {
  if (e instanceof Error) return e;
  return new Error(typeof e === 'string' ? e : `Non-error thrown: ${describeThrown(e)}`);
}
