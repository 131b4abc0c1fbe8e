import type { RunRecord } from '../../src/store/run-history.js';

/** A finished run's record of one search call and nothing stored: an error when `message` is given. */
export function runRecord(exitCode: number, message: string | null = null): RunRecord {
  return {
    exitCode,
    searchCalls: 1,
    entriesNew: 0,
    entriesSeen: 0,
    windowsComplete: null,
    windowsIncomplete: null,
    rateLimited: 0,
    unexpectedShape: 0,
    errors: message === null ? 0 : 1,
    message,
  };
}
