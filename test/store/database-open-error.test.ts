import { describe, expect, it } from 'vitest';
import { databaseOpenError, DatabaseOpenError, type PathProbe } from '../../src/store/database-open-error.js';

/** An error as better-sqlite3 or node:fs raises it: a message and a `code`. */
function raised(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

const plainFile: PathProbe = { isDirectory: () => false, accessProblem: () => undefined };
const path = '/srv/wxlog/data/wxlog.db';

function message(e: Error, probe: PathProbe = plainFile): string | undefined {
  return databaseOpenError(path, e, probe)?.message;
}

describe('databaseOpenError', () => {
  // Tests run as root, for whom chmod changes nothing: these are the errors a non-root user gets.
  it('names a read-only file or folder (SQLITE_READONLY and its extended codes, EROFS)', () => {
    expect(message(raised('SQLITE_READONLY', 'attempt to write a readonly database'))).toBe(
      `cannot open ${path}: read-only: wxlog cannot write to it (SQLite: attempt to write a readonly database)`,
    );
    expect(message(raised('SQLITE_READONLY_DIRECTORY', 'attempt to write a readonly database'))).toMatch(
      /: read-only: /,
    );
    expect(message(raised('EROFS', 'read-only file system, mkdir'))).toBe(
      `cannot open ${path}: read-only: wxlog cannot write to it`,
    );
  });

  it('names a permission error, whether the system or SQLite (which only says "unable to open") raised it', () => {
    expect(message(raised('EACCES', "permission denied, mkdir '/srv/wxlog/data'"))).toBe(
      `cannot open ${path}: permission denied`,
    );
    const denied: PathProbe = { isDirectory: () => false, accessProblem: (p) => (p === path ? 'EACCES' : undefined) };
    expect(message(raised('SQLITE_CANTOPEN', 'unable to open database file'), denied)).toBe(
      `cannot open ${path}: permission denied`,
    );
    const folderDenied: PathProbe = {
      isDirectory: () => false,
      accessProblem: (p) => (p === path ? 'ENOENT' : 'EACCES'),
    };
    expect(message(raised('SQLITE_CANTOPEN', 'unable to open database file'), folderDenied)).toBe(
      `cannot open ${path}: permission denied`,
    );
  });

  it('names a directory, a file that is not SQLite and a damaged database', () => {
    const directory: PathProbe = { isDirectory: () => true, accessProblem: () => undefined };
    expect(message(raised('SQLITE_CANTOPEN', 'unable to open database file'), directory)).toBe(
      `cannot open ${path}: is a directory, not a database file`,
    );
    expect(message(raised('SQLITE_IOERR_READ', 'disk I/O error'), directory)).toMatch(/: is a directory/);
    expect(message(raised('SQLITE_NOTADB', 'file is not a database'))).toBe(
      `cannot open ${path}: not a SQLite database`,
    );
    expect(message(raised('SQLITE_CORRUPT', 'database disk image is malformed'))).toMatch(
      /: the database file is damaged \(SQLite: /,
    );
  });

  it("keeps SQLite's words when nothing explains them better", () => {
    expect(message(raised('SQLITE_CANTOPEN', 'unable to open database file'))).toBe(
      `cannot open ${path}: SQLite cannot open it (SQLite: unable to open database file)`,
    );
  });

  it('leaves other errors alone, for the caller to rethrow', () => {
    expect(databaseOpenError(path, raised('SQLITE_BUSY', 'database is locked'))).toBeUndefined();
    expect(databaseOpenError(path, new Error('no code'))).toBeUndefined();
    expect(databaseOpenError(path, 'a string')).toBeUndefined();
  });

  it('keeps the original error as the cause', () => {
    const e = raised('SQLITE_NOTADB', 'file is not a database');
    const mapped = databaseOpenError(path, e);
    expect(mapped).toBeInstanceOf(DatabaseOpenError);
    expect(mapped?.cause).toBe(e);
    expect(mapped?.problem).toBe('not-sqlite');
  });
});
