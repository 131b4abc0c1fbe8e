import { expect } from 'vitest';
import type { Simulator } from '../../src/simulator/simulator.js';
import type { LogEntry } from '../../src/wechat/types.js';
import { losslessProblems, messageProblems, servedRows, storedRows } from './served-rows.js';

export { lowerBoundCalls, storedRows } from './served-rows.js';

/**
 * The database holds exactly what the simulator serves for its retention days: every entry, field by
 * field, none missing, none twice (compared as rows, so a failure shows the difference); each entry's
 * messages are its msg elements; the file is sound.
 */
const everything = (): boolean => true;

export function expectExact(
  dbPath: string,
  sim: Simulator,
  appid = sim.options.appid,
  only: (e: LogEntry) => boolean = everything,
): void {
  const expected = servedRows(sim, appid, only);
  const actual = storedRows(dbPath, appid);
  expect(actual.length).toBe(expected.length);
  expect(actual).toEqual(expected);
  if (only === everything) expect(losslessProblems(dbPath, sim, appid)).toEqual([]);
  expect(messageProblems(dbPath, appid)).toEqual([]);
}
