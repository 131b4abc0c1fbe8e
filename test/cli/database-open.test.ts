import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { runCli } from './run-cli.js';

// Every command that opens the database, with what it needs besides. The API base is a closed port:
// none of them may get as far as calling it.
const commands: { name: string; args: string[] }[] = [
  { name: 'run', args: [] },
  { name: 'daemon', args: [] },
  { name: 'status', args: [] },
  { name: 'query', args: ['SELECT 1'] },
  { name: 'search', args: ['请求失败'] },
  { name: 'scenes', args: [] },
  { name: 'migrate', args: [] },
  { name: 'prune', args: ['--older-than', '30'] },
  { name: 'demo', args: [] },
];

const env = { WXLOG_APPID: 'wx1234567890abcdef', WXLOG_SECRET: 'an-app-secret', WXLOG_API_BASE: 'http://127.0.0.1:9' };

describe('a database path that cannot be opened (subprocess)', () => {
  it('is exit 2 in every command, naming the command, the path and why', async () => {
    const dir = tempDir();
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'these are notes, not a database\n'.repeat(20));
    for (const { name, args } of commands) {
      for (const [path, why] of [
        [folder, 'is a directory'],
        [text, 'not a SQLite database'],
      ] as const) {
        const result = await runCli([name, ...args, '--db', path], env, dir);
        expect({ name, path, status: result.status }).toEqual({ name, path, status: 2 });
        expect(result.stderr).toMatch(
          new RegExp(`(^|\\n)wxlog ${name}: cannot open ${path.replace(/[.]/g, '\\.')}: ${why}`),
        );
        expect(result.stderr).not.toMatch(/\n\s+at /);
      }
    }
  }, 60_000);
});
