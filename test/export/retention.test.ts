import { describe, expect, it } from 'vitest';
import { planRetention, RetentionBoundary } from '../../src/export/retention.js';
import { openDatabase } from '../../src/store/database.js';
import { StateStore } from '../../src/store/state-store.js';
import { tempDir } from '../helpers/temp-dir.js';

const DAYS = ['20261116', '20261117', '20261118', '20261119', '20261120', '20261121', '20261122'];

describe('planRetention', () => {
  it('reads every day while nothing was refused', () => {
    expect(planRetention(DAYS, undefined, '20261122')).toEqual({ skip: [], probe: undefined, read: DAYS });
  });

  it('skips the refused day and every older one on the CST day they were refused', () => {
    expect(planRetention(DAYS, { refused: '20261119', on: '20261122' }, '20261122')).toEqual({
      skip: DAYS.slice(0, 4),
      probe: undefined,
      read: DAYS.slice(4),
    });
  });

  it('asks the newest refused day once more on a later CST day', () => {
    expect(planRetention(DAYS, { refused: '20261119', on: '20261121' }, '20261122')).toEqual({
      skip: DAYS.slice(0, 3),
      probe: '20261119',
      read: DAYS.slice(4),
    });
  });
});

describe('RetentionBoundary', () => {
  it('only moves forward as days are refused, and forgets itself when an older day is served', () => {
    const { db } = openDatabase(`${tempDir()}/wxlog.db`);
    const state = new StateStore(db);
    const b = new RetentionBoundary(state, 'wxa', () => 0);
    b.refused('20261118', '20261122');
    b.refused('20261116', '20261122');
    expect(b.newestRefused).toBe('20261118');
    expect(new RetentionBoundary(state, 'wxa', () => 0).newestRefused).toBe('20261118');
    expect(new RetentionBoundary(state, 'wxb', () => 0).newestRefused).toBeUndefined();
    b.served('20261120');
    expect(b.newestRefused).toBe('20261118');
    b.served('20261118');
    expect(b.newestRefused).toBeUndefined();
    expect(new RetentionBoundary(state, 'wxa', () => 0).newestRefused).toBeUndefined();
  });
});
