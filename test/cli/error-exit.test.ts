import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/command.js';
import { errorExit } from '../../src/cli/error-exit.js';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { ConfigError } from '../../src/config/config-error.js';
import { DatabaseOpenError } from '../../src/store/database-open-error.js';
import { SchemaError } from '../../src/store/migrator.js';

const context = { label: 'wxlog run', version: '9.9.9', secrets: ['s3cr3t-value'] };

describe('errorExit', () => {
  it('prints a usage, configuration, schema or database-path mistake as one line, exit 2', () => {
    const mistakes = [
      new UsageError('needs --older-than DAYS'),
      new ConfigError('WXLOG_PAGE_SIZE', 'WXLOG_PAGE_SIZE: must be an integer from 1 to 1000, got "0"'),
      new SchemaError("the database's schema is version 9, newer than this wxlog (knows 4): upgrade wxlog"),
      new DatabaseOpenError('/data/wxlog.db', 'not-sqlite'),
    ];
    for (const e of mistakes) {
      expect(errorExit(e, context)).toEqual({ code: ExitCode.Usage, stderr: `wxlog run: ${e.message}\n` });
    }
  });

  it('goes by class, not by name: an Error merely named ConfigError is a bug', () => {
    const impostor = Object.assign(new Error('looks like a setting'), { name: 'ConfigError' });
    expect(errorExit(impostor, context).code).toBe(ExitCode.Internal);
  });

  it('reports anything else as a bug in wxlog: its stack and causes, secrets masked, what to report, exit 5', () => {
    const cause = new TypeError('cannot read properties of undefined (reading "total")');
    const bug = new Error('token s3cr3t-value went wrong at https://x/?access_token=abc', { cause });
    const exit = errorExit(bug, context);
    expect(exit.code).toBe(ExitCode.Internal);
    expect(exit.code).toBe(5);
    expect(exit.stderr).toMatch(/^Error: token \*\*\* went wrong at https:\/\/x\/\?access_token=\*\*\*\n\s+at /);
    expect(exit.stderr).toContain('caused by: TypeError: cannot read properties of undefined');
    expect(exit.stderr).not.toContain('s3cr3t-value');
    const last = exit.stderr.trimEnd().split('\n').at(-1);
    expect(last).toBe(
      'wxlog run: internal error: this is a bug in wxlog 9.9.9; please report it with the command you ran and this output (exit 5)',
    );
  });

  it('reports a thrown non-Error as a bug too', () => {
    const exit = errorExit('a string', context);
    expect(exit.code).toBe(ExitCode.Internal);
    expect(exit.stderr).toMatch(/^thrown: a string\n/);
  });
});
