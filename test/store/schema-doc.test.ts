import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';

/**
 * What docs/schema.md names: each `### \`name\`` heading is a table or view, and each row of the column
 * table under it that starts with a `\`column\`` cell is one of its columns. The view log_entries_cst
 * says "Every column of log_entries, and:" instead of repeating them.
 */
function documented(): Map<string, Set<string>> {
  const doc = readFileSync(new URL('../../docs/schema.md', import.meta.url), 'utf8');
  const tables = new Map<string, Set<string>>();
  let current: Set<string> | undefined;
  for (const line of doc.split('\n')) {
    const heading = /^### `(\w+)`/.exec(line);
    if (heading) {
      current = new Set<string>();
      tables.set(heading[1] ?? '', current);
      continue;
    }
    if (line.startsWith('## ')) current = undefined;
    const column = /^\| `(\w+)` \| (INTEGER|TEXT|BLOB|) *\|/.exec(line);
    if (column && current) current.add(column[1] ?? '');
    if (current && /^Every column of `log_entries`/.test(line)) current.add('*log_entries');
  }
  return tables;
}

// FTS5's shadow tables hold its index: named in the doc as internals, their columns are SQLite's.
const FTS_SHADOW = /^log_messages_fts_(data|idx|docsize|config)$/;

/** Tables and views of a fresh database with their columns, and the CREATE statement of `windows`. */
function actual(): { tables: Map<string, Set<string>>; windowsSql: string } {
  // At collection time (it.each needs the names), so not tempDir(), which belongs to a test.
  const dir = mkdtempSync(join(tmpdir(), 'wxlog-schema-doc-'));
  const { db } = openDatabase(join(dir, 'wxlog.db'));
  const names = db
    .prepare(
      "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .all() as { name: string }[];
  const tables = new Map<string, Set<string>>();
  for (const { name } of names) {
    const columns = db.prepare('SELECT name FROM pragma_table_info(?)').all(name) as { name: string }[];
    tables.set(name, new Set(columns.map((c) => c.name)));
  }
  const windowsSql = (db.prepare("SELECT sql FROM sqlite_master WHERE name = 'windows'").get() as { sql: string }).sql;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return { tables, windowsSql };
}

function expand(doc: Map<string, Set<string>>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [table, columns] of doc) {
    const all = new Set<string>();
    for (const c of columns) {
      if (c.startsWith('*')) for (const inherited of doc.get(c.slice(1)) ?? []) all.add(inherited);
      else all.add(c);
    }
    out.set(table, all);
  }
  return out;
}

describe('docs/schema.md against a freshly migrated database', () => {
  const doc = expand(documented());
  const { tables: db, windowsSql } = actual();
  const text = readFileSync(new URL('../../docs/schema.md', import.meta.url), 'utf8');

  it('names every table and view of the database', () => {
    const missing = [...db.keys()].filter((name) =>
      FTS_SHADOW.test(name) ? !text.includes(`\`${name}\``) : !doc.has(name),
    );
    expect(missing).toEqual([]);
  });

  it('names only tables and views that exist', () => {
    expect([...doc.keys()].filter((name) => !db.has(name))).toEqual([]);
  });

  it.each([...db.keys()].filter((name) => !FTS_SHADOW.test(name)))('%s: documents exactly its columns', (name) => {
    expect([...(doc.get(name) ?? [])].sort()).toEqual([...(db.get(name) ?? [])].sort());
  });

  it('names every state key wxlog writes', () => {
    for (const key of ['page_size:APPID', 'endtime:APPID', 'retention:APPID', 'max_offset:APPID'])
      expect(text).toContain(`\`${key}\``);
  });

  it("names every window status the ledger's CHECK allows", () => {
    const statuses = [...(/status IN \(([^)]*)\)/.exec(windowsSql)?.[1]?.matchAll(/'(\w+)'/g) ?? [])].map((m) => m[1]);
    expect(statuses).toContain('unavailable');
    for (const status of statuses) expect(text).toContain(`\`${status}\``);
  });
});
