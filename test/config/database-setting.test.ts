import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfig } from '../../src/config/load-config.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wxlog-db-setting-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const PASSWORD = 's3cr3t-pw';

function load(env: Record<string, string>, file?: object) {
  let configFile: string | undefined;
  if (file !== undefined) {
    configFile = 'wxlog.json';
    writeFileSync(join(dir, configFile), JSON.stringify(file));
  }
  return loadConfig({ env, cwd: dir, ...(configFile === undefined ? {} : { configFile }) }, 'local');
}

function refusal(env: Record<string, string>, file?: object): ConfigError {
  try {
    load(env, file);
  } catch (e: unknown) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('the db setting', () => {
  it.each(['postgres', 'postgresql', 'POSTGRES'])('keeps a %s:// URL as written, not as a path', (scheme) => {
    const url = `${scheme}://wxlog:${PASSWORD}@127.0.0.1:5432/wxlog`;
    expect(load({ WXLOG_DB: url }).db).toBe(url);
    expect(load({}, { db: url }).db).toBe(url);
  });

  it('still resolves a path against the working directory', () => {
    expect(load({ WXLOG_DB: 'data/x.db' }).db).toBe(join(dir, 'data', 'x.db'));
    expect(load({ WXLOG_DB: './postgres.db' }).db).toBe(join(dir, 'postgres.db'));
  });

  it.each([
    ['mysql', /WXLOG_DB: mysql:\/\/ URLs are not supported; wxlog stores into SQLite \(a file path\) or PostgreSQL/],
    ['sqlite', /WXLOG_DB: sqlite:\/\/ URLs are not supported; a SQLite database is given as a file path/],
    ['file', /WXLOG_DB: file:\/\/ URLs are not supported; a SQLite database is given as a file path/],
    ['redis+tls', /WXLOG_DB: redis\+tls:\/\/ URLs are not supported/],
  ])('refuses a %s:// URL in one line naming WXLOG_DB, without the password', (scheme, message) => {
    const e = refusal({ WXLOG_DB: `${scheme}://wxlog:${PASSWORD}@db.example/wxlog` });
    expect(e.setting).toBe('WXLOG_DB');
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain(PASSWORD);
    expect(e.message).not.toContain('\n');
  });

  it('names the key in the config file for a URL given there', () => {
    const e = refusal({}, { db: `mysql://root:${PASSWORD}@db.example/logs` });
    expect(e.setting).toBe('db');
    expect(e.message).toMatch(/^db in wxlog\.json: mysql:\/\/ URLs are not supported/);
    expect(e.message).not.toContain(PASSWORD);
  });
});
