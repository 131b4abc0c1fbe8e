import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { databaseSetting } from '../../src/cli/pass-setup.js';

describe('databaseSetting', () => {
  it('takes a PostgreSQL URL back from the path the settings resolved it to', () => {
    for (const url of [
      'postgres://wxlog:s3cret@db.example:5432/wxlog',
      'postgresql://wxlog@10.0.0.2/wx_log?sslmode=require&application_name=wxlog',
    ]) {
      expect(databaseSetting(url)).toBe(url);
      expect(databaseSetting(resolve('/srv/app', url))).toBe(url);
    }
  });

  it('leaves a SQLite path as it is', () => {
    expect(databaseSetting('/srv/app/data/wxlog.db')).toBe('/srv/app/data/wxlog.db');
    expect(databaseSetting('/srv/postgres/wxlog.db')).toBe('/srv/postgres/wxlog.db');
  });
});
