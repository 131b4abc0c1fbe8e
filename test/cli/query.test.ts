import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixture, type Fixture } from '../store/log-fixture.js';
import { runCli } from './run-cli.js';

let dir: string;
let fixture: Fixture;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wxlog-query-'));
  fixture = buildFixture(join(dir, 'wxlog.db'), Math.floor(Date.now() / 1000), { days: 3 });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function query(sql: string, ...options: string[]) {
  return runCli(['query', sql, ...options], { WXLOG_DB: fixture.path });
}

/** An independent RFC 4180 reader: quoted fields, doubled quotes, CRLF record ends. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 1;
    } else {
      field += c;
    }
  }
  if (field !== '' || record.length > 0) throw new Error('the last CSV record does not end with CRLF');
  return records;
}

interface StoredEntry {
  appid: string;
  traceid: string | null;
  timestamp: number;
  url: string | null;
  msg: string;
  fingerprint: string;
}

const ENTRY_SQL = 'SELECT appid, traceid, timestamp, url, msg, fingerprint FROM log_entries ORDER BY timestamp, id';

// What the file holds, read without wxlog: the BLOB through SQLite's own hex().
function storedEntries(): StoredEntry[] {
  const db = new BetterSqlite3(fixture.path, { readonly: true });
  try {
    return db
      .prepare(
        'SELECT appid, traceid, timestamp, url, msg, lower(hex(fingerprint)) AS fingerprint FROM log_entries ORDER BY timestamp, id',
      )
      .all() as StoredEntry[];
  } finally {
    db.close();
  }
}

function fixtureEntriesInOrder() {
  return [...fixture.entries].sort((a, b) => a.entry.timestamp - b.entry.timestamp);
}

// Terminal columns, computed independently of wxlog: the fixture's wide characters are CJK ideographs.
function columnsOf(text: string): number {
  let width = 0;
  for (const char of text) width += /[\u4e00-\u9fff]/.test(char) ? 2 : 1;
  return width;
}

describe('wxlog query', () => {
  it('prints csv (RFC 4180) whose records are the rows inserted, BLOBs as hex', async () => {
    const result = await query(ENTRY_SQL, '--format', 'csv');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const [header, ...records] = parseCsv(result.stdout);
    expect(header).toEqual(['appid', 'traceid', 'timestamp', 'url', 'msg', 'fingerprint']);
    const expected = fixtureEntriesInOrder();
    const stored = storedEntries();
    expect(records).toHaveLength(expected.length);
    records.forEach((record, i) => {
      const { appid, entry } = expected[i]!;
      const [rAppid, rTrace, rTimestamp, rUrl, rMsg, rFingerprint] = record;
      expect(rAppid).toBe(appid);
      expect(rTrace).toBe(entry.traceid ?? '');
      expect(Number(rTimestamp)).toBe(entry.timestamp);
      expect(rUrl).toBe(entry.url ?? '');
      expect(JSON.parse(rMsg!)).toEqual(entry.msg);
      expect(rFingerprint).toBe(stored[i]!.fingerprint);
    });
  });

  it('quotes csv fields holding quotes, commas and line breaks', async () => {
    const result = await query('SELECT id, text FROM log_messages ORDER BY id', '--format', 'csv');
    expect(result.status).toBe(0);
    const db = new BetterSqlite3(fixture.path, { readonly: true });
    const rows = db.prepare('SELECT id, text FROM log_messages ORDER BY id').all() as { id: number; text: string }[];
    db.close();
    expect(parseCsv(result.stdout)).toEqual([['id', 'text'], ...rows.map((r) => [String(r.id), r.text])]);
    expect(rows.some((r) => r.text.includes('say "hi", then\nnew line'))).toBe(true);
  });

  it('prints json as an array of objects equal to the rows inserted', async () => {
    const result = await query(ENTRY_SQL, '--format', 'json');
    expect(result.status).toBe(0);
    const rows = JSON.parse(result.stdout) as StoredEntry[];
    const expected = fixtureEntriesInOrder();
    expect(rows).toHaveLength(expected.length);
    expect(rows).toEqual(storedEntries());
    rows.forEach((row, i) => {
      expect(row.appid).toBe(expected[i]!.appid);
      expect(row.traceid).toBe(expected[i]!.entry.traceid ?? null);
      expect(JSON.parse(row.msg)).toEqual(expected[i]!.entry.msg);
    });
  });

  it('prints ndjson, one object per line', async () => {
    const result = await query(
      'SELECT message_id, level_name, text FROM log_lines ORDER BY message_id',
      '--format',
      'ndjson',
    );
    expect(result.status).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(fixture.messages.length);
    const rows = lines.map((l) => JSON.parse(l) as { message_id: number; level_name: string; text: string });
    expect(rows.map((r) => r.message_id)).toEqual(rows.map((_, i) => i + 1));
    expect(new Set(rows.map((r) => r.level_name))).toEqual(new Set(['info', 'warn', 'error']));
    expect(rows.filter((r) => r.text.includes('网络请求失败'))).toHaveLength(
      fixture.messages.filter((m) => m.args.includes('网络请求失败')).length,
    );
  });

  it('keeps large integers exact, prints BLOBs as hex and NULL as null or an empty field', async () => {
    const sql =
      "SELECT 9007199254740993 AS big, -9007199254740993 AS neg, 1.5 AS f, x'00ff10' AS b, NULL AS n, '中文' AS t";
    const [json, csv, ndjson] = await Promise.all([
      query(sql, '--format', 'json'),
      query(sql, '--format', 'csv'),
      query(sql, '--format', 'ndjson'),
    ]);
    expect(json.stdout).toContain('"big":9007199254740993');
    expect(json.stdout).toContain('"neg":-9007199254740993');
    expect(JSON.parse(json.stdout)).toEqual([
      // The literals round as JSON.parse rounds the output: what is checked is that nothing else differs.
      // eslint-disable-next-line no-loss-of-precision
      { big: 9007199254740993, neg: -9007199254740993, f: 1.5, b: '00ff10', n: null, t: '中文' },
    ]);
    expect(parseCsv(csv.stdout)).toEqual([
      ['big', 'neg', 'f', 'b', 'n', 't'],
      ['9007199254740993', '-9007199254740993', '1.5', '00ff10', '', '中文'],
    ]);
    expect(ndjson.stdout).toBe(`${json.stdout.replace(/^\[\n|\n\]\n$/g, '')}\n`);
  });

  it('prints a table whose columns line up, Chinese counted double width', async () => {
    const sql =
      "SELECT message_id, level_name, substr(text, 1, 20) AS text FROM log_lines WHERE text LIKE '%失败%' OR text LIKE '%hi%' ORDER BY message_id";
    const result = await query(sql);
    expect(result.status).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    const footer = lines.pop();
    const body = lines.slice(2);
    const expected = fixture.messages.filter((m) =>
      m.args.some((a) => typeof a === 'string' && (a.includes('失败') || a.toLowerCase().includes('hi'))),
    );
    expect(footer).toBe(`(${expected.length} rows)`);
    expect(body).toHaveLength(expected.length);
    expect(lines[0]!.split('|').map((s) => s.trim())).toEqual(['message_id', 'level_name', 'text']);
    // Every separator sits at the same terminal column on every line, the rule's `+` included.
    const separatorColumns = (line: string, mark: string) => {
      const cols: number[] = [];
      let col = 0;
      for (const char of line) {
        if (char === mark) cols.push(col);
        col += columnsOf(char);
      }
      return cols;
    };
    const header = separatorColumns(lines[0]!, '|');
    expect(header).toHaveLength(2);
    expect(separatorColumns(lines[1]!, '+')).toEqual(header);
    for (const line of body) expect(separatorColumns(line, '|')).toEqual(header);
    expect(body.some((l) => l.includes('网络请求失败'))).toBe(true);
    // A line break inside a cell does not break the row.
    expect(body.some((l) => l.includes('then\\nnew'))).toBe(true);
  });

  it('refuses statements that write, with one line, exit 2, and leaves the file as it was', async () => {
    const writes = [
      "INSERT INTO log_entries (appid, timestamp, msg, fingerprint, first_seen_at, last_seen_at) VALUES ('x', 1, '[]', x'00', 1, 1)",
      'DELETE FROM log_entries',
      'UPDATE log_messages SET text = 1',
      'DROP TABLE log_messages',
      'DROP VIEW log_lines',
      'CREATE TABLE t (x)',
      'PRAGMA user_version = 7',
      'PRAGMA journal_mode = DELETE',
      'VACUUM',
      'WITH doomed AS (SELECT id FROM log_entries) DELETE FROM log_entries WHERE id IN (SELECT id FROM doomed)',
      "REPLACE INTO scenes VALUES ('a', 'b', 'c', 1)",
    ];
    const before = storedEntries();
    const results = await Promise.all(writes.map((sql) => query(sql)));
    results.forEach((result, i) => {
      expect({ sql: writes[i], status: result.status }).toEqual({ sql: writes[i], status: 2 });
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^wxlog query: query is read-only: [^\n]+\n$/);
    });
    const db = new BetterSqlite3(fixture.path, { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(0);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(
        db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name IN ('t', 'log_lines', 'log_messages')").get(),
      ).toEqual({ n: 2 });
      expect(db.prepare("SELECT count(*) AS n FROM log_messages WHERE typeof(text) = 'text'").get()).toEqual({
        n: fixture.messages.length,
      });
      expect(db.prepare('SELECT count(*) AS n FROM scenes').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
    expect(storedEntries()).toEqual(before);
  });

  it('answers the pragmas that only read, PRAGMA journal_mode included, while writing pragmas stay refused', async () => {
    for (const sql of [
      'PRAGMA journal_mode',
      'pragma main.journal_mode;',
      '/* mode */ PRAGMA journal_mode -- of the file',
    ]) {
      const result = await query(sql, '--format', 'json');
      expect({ sql, status: result.status, stderr: result.stderr }).toEqual({ sql, status: 0, stderr: '' });
      expect(JSON.parse(result.stdout)).toEqual([{ journal_mode: 'wal' }]);
    }
    expect((await query('PRAGMA user_version', '--format', 'csv')).status).toBe(0);
    for (const sql of ['PRAGMA journal_mode = DELETE', 'PRAGMA journal_mode=MEMORY', 'PRAGMA wal_checkpoint']) {
      const result = await query(sql);
      expect({ sql, status: result.status }).toEqual({ sql, status: 2 });
      expect(result.stderr).toMatch(/^wxlog query: query is read-only: PRAGMA statements may change the database/);
    }
  });

  it('refuses more than one statement, even when the first only reads', async () => {
    const result = await query('SELECT count(*) FROM log_entries; DELETE FROM log_entries');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^wxlog query: [^\n]*single SQL statement[^\n]*\n$/);
    expect(storedEntries()).toHaveLength(fixture.entries.length);
  });

  it('reports an ATTACH of a file that is not there in one line with exit 2, and creates nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wxlog-attach-'));
    try {
      const missing = join(dir, 'other.db');
      const r = await query(`ATTACH '${missing}' AS other`);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`wxlog query: unable to open database: ${missing}\n`);
      expect(existsSync(missing)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports SQL errors, unknown options and bad formats in one line with exit 2', async () => {
    const [syntax, table, option, format, none] = await Promise.all([
      query('SELEC 1'),
      query('SELECT * FROM no_such_table'),
      query('SELECT 1', '--bogus'),
      query('SELECT 1', '--format', 'xml'),
      runCli(['query'], { WXLOG_DB: fixture.path }),
    ]);
    for (const r of [syntax, table, option, format, none]) {
      expect(r.status).toBe(2);
      expect(r.stderr.split('\n')).toHaveLength(2);
    }
    expect(table.stderr).toContain('no_such_table');
    expect(option.stderr).toContain('--bogus');
    expect(format.stderr).toContain('xml');
  });

  it('exits 2 naming the path when the database does not exist, and does not create it', async () => {
    const missing = join(dir, 'nowhere', 'missing.db');
    const [viaOption, viaEnv] = await Promise.all([
      runCli(['query', 'SELECT 1', '--db', missing], { WXLOG_DB: fixture.path }),
      runCli(['query', 'SELECT 1'], { WXLOG_DB: missing }),
    ]);
    for (const r of [viaOption, viaEnv]) {
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(missing);
      expect(r.stderr.split('\n')).toHaveLength(2);
    }
    expect(existsSync(missing)).toBe(false);
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
  });
});
