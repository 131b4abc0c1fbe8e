import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { runCli } from './run-cli.js';

describe('a crash (subprocess)', () => {
  it('prints its stack and what to report, and exits 5, not 1 ("the next run continues")', async () => {
    const dir = tempDir();
    const path = join(dir, 'wxlog.db');
    expect((await runCli(['migrate', '--db', path])).status).toBe(0);
    // A database that opens as a current wxlog one but lacks a table: status's query then throws an
    // error no code path expects.
    const db = new BetterSqlite3(path);
    db.exec('DROP TABLE runs');
    db.close();
    const result = await runCli(['status', '--db', path], { WXLOG_SECRET: 's3cr3t-value' });
    expect(result.status).toBe(5);
    expect(result.stderr).toMatch(/^SqliteError: no such table: runs\n\s+at /);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(
      /^wxlog status: internal error: this is a bug in wxlog \d+\.\d+\.\d+; please report it/,
    );
    expect(result.stderr).not.toContain('s3cr3t-value');
  });
});
