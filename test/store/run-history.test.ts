import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { latestRuns, runCommands } from '../../src/store/run-history.js';
import { Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/temp-dir.js';

const record = {
  exitCode: 0,
  searchCalls: 3,
  entriesNew: 2,
  entriesSeen: 2,
  windowsComplete: 1,
  windowsIncomplete: 0,
  rateLimited: 0,
  unexpectedShape: 0,
  errors: 0,
  message: null,
};

describe('run history', () => {
  it('lists the latest runs newest first by start, and the commands recorded, from a read-only connection', () => {
    const path = join(tempDir(), 'wxlog.db');
    const store = Store.open(path);
    const first = store.runs.start('run', 'wx1', 10, 1_000);
    store.runs.finishRun(first, 1_030, record);
    store.runs.start('daemon', 'wx1', 11, 2_000);
    // Recorded later, started earlier: listed by its start.
    store.runs.start('demo', null, 12, 1_500);
    store.close();

    const db = openDatabase(path, { readonly: true }).db;
    try {
      expect(latestRuns(db, 2).map((r) => [r.command, r.startedAt])).toEqual([
        ['daemon', 2_000],
        ['demo', 1_500],
      ]);
      expect(latestRuns(db, 10).at(-1)).toEqual({
        id: first,
        command: 'run',
        appid: 'wx1',
        startedAt: 1_000,
        finishedAt: 1_030,
        exitCode: 0,
        searchCalls: 3,
        entriesNew: 2,
        errors: 0,
        message: null,
      });
      expect(runCommands(db)).toEqual(['daemon', 'demo', 'run']);
    } finally {
      db.close();
    }
  });
});
