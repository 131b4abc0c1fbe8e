import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** Why a database file cannot be opened or written, in the words every command prints. */
export type DatabaseOpenProblem =
  'directory' | 'not-sqlite' | 'read-only' | 'permission' | 'damaged' | 'unopenable' | 'postgres-not-here';

const WORDS: Record<DatabaseOpenProblem, string> = {
  directory: 'is a directory, not a database file',
  'not-sqlite': 'not a SQLite database',
  'read-only': 'read-only: wxlog cannot write to it',
  permission: 'permission denied',
  damaged: 'the database file is damaged',
  unopenable: 'SQLite cannot open it',
  'postgres-not-here':
    'a PostgreSQL database, which this command cannot use yet (docs/postgres.md); give a SQLite file',
};

/**
 * A database path that cannot be opened or written: a directory, a file that is not SQLite, a read-only
 * file or folder, a permission error. A setting to fix, not a bug: the CLI prints the message and exits 2.
 */
export class DatabaseOpenError extends Error {
  override name = 'DatabaseOpenError';

  constructor(
    /** The database path as opened. */
    readonly path: string,
    readonly problem: DatabaseOpenProblem,
    /** SQLite's or the system's own words, when they add something. */
    detail?: string,
    options?: ErrorOptions,
  ) {
    super(`cannot open ${path}: ${WORDS[problem]}${detail === undefined ? '' : ` (${detail})`}`, options);
  }
}

/** What {@link databaseOpenError} may ask the file system about the path; injected by tests. */
export interface PathProbe {
  isDirectory(path: string): boolean;
  /** The errno code (`EACCES`, `EROFS`, …) of checking read and write access, or undefined when allowed. */
  accessProblem(path: string): string | undefined;
}

const fsProbe: PathProbe = {
  isDirectory: (path) => statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false,
  accessProblem: (path) => {
    try {
      accessSync(path, constants.R_OK | constants.W_OK);
      return undefined;
    } catch (e: unknown) {
      return (e as NodeJS.ErrnoException).code;
    }
  },
};

function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function fromErrno(code: string | undefined): DatabaseOpenProblem | undefined {
  if (code === 'EISDIR') return 'directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission';
  if (code === 'EROFS') return 'read-only';
  return undefined;
}

/**
 * Turns what opening, migrating or first writing `path` threw (a better-sqlite3 `SqliteError` with its
 * `code`, or a file system error) into a {@link DatabaseOpenError}; undefined for anything else, which the
 * caller rethrows as it is.
 */
export function databaseOpenError(path: string, e: unknown, probe: PathProbe = fsProbe): DatabaseOpenError | undefined {
  if (e instanceof DatabaseOpenError) return e;
  const code = errorCode(e);
  if (code === undefined) return undefined;
  const message = e instanceof Error ? e.message : String(e);
  const make = (problem: DatabaseOpenProblem, detail?: string): DatabaseOpenError =>
    new DatabaseOpenError(path, problem, detail, { cause: e });
  const errno = fromErrno(code);
  if (errno) return make(errno);
  if (code === 'ENOTDIR' || code === 'EEXIST')
    return make('unopenable', `its folder ${dirname(path)} is not a directory`);
  if (code === 'SQLITE_NOTADB') return make('not-sqlite');
  if (code.startsWith('SQLITE_READONLY')) return make('read-only', `SQLite: ${message}`);
  if (code.startsWith('SQLITE_CORRUPT')) return make('damaged', `SQLite: ${message}`);
  if (code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') return make('permission');
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR')) {
    // SQLite does not say why it could not open the file ("unable to open database file"): the file
    // system does. Reading a directory read-only even reports a "disk I/O error".
    if (probe.isDirectory(path)) return make('directory');
    const access = fromErrno(probe.accessProblem(path)) ?? fromErrno(probe.accessProblem(dirname(path)));
    return access ? make(access) : make('unopenable', `SQLite: ${message}`);
  }
  return undefined;
}
