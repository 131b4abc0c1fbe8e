import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

/**
 * Every statement of a document's ```sql blocks, in order, but those of blocks marked `-- PostgreSQL`
 * (test/cli/postgres-docs-sql.test.ts runs them).
 */
function sqlStatements(file: string): string[] {
  const readme = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
  return [...readme.matchAll(/^```sql\n([\s\S]*?)^```$/gm)]
    .map((m) => m[1] ?? '')
    .filter((block) => !block.startsWith('-- PostgreSQL'))
    .flatMap((block) => block.split(/;\s*$/m))
    .map((sql) => sql.trim())
    .filter((sql) => sql !== '');
}

let dir: string;
let db: BetterSqlite3.Database | undefined;

beforeAll(async () => {
  // The database a reader of the README has: what `wxlog demo` makes, with its defaults.
  dir = mkdtempSync(join(tmpdir(), 'wxlog-readme-'));
  const demo = await runCli(['demo'], {}, dir);
  expect(demo.status).toBe(0);
  db = new BetterSqlite3(join(dir, 'data', 'demo.db'), { readonly: true });
}, 60_000);

afterAll(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.each([
  ['README.md', 6],
  ['docs/schema.md', 8],
])("%s's example SQL on wxlog demo's database (subprocess)", (file, least) => {
  const statements = sqlStatements(file);

  it('has examples to check', () => {
    expect(statements.length).toBeGreaterThanOrEqual(least);
  });

  it.each(statements.map((sql) => [sql.split('\n')[0] ?? sql, sql] as const))('%s … returns rows', (_first, sql) => {
    expect(db?.prepare(sql).all().length).toBeGreaterThan(0);
  });
});
