import { once } from 'node:events';
import { QueryRefusedError, QuerySqlError, type QueryValue } from '../../store/read-only-query.js';
import { configHelp, commandConfig, configOptions } from '../cli-config.js';
import { UsageError, type Command, type CommandContext } from '../command.js';
import { parseCommandArgs } from '../command-args.js';
import { openCommandStore } from '../command-store.js';
import { ExitCode } from '../exit-codes.js';
import { csvRecord, formatTable, jsonRecord, OUTPUT_FORMATS, type OutputFormat } from '../table-format.js';
import { optionsHelp } from '../options-help.js';

const options = {
  ...configOptions,
  format: { type: 'string' },
} as const;

type Output = CommandContext['stdout'];

async function write(out: Output, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

// JSON objects need distinct keys: a second `id` column becomes `id:2`.
function uniqueNames(columns: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return columns.map((name) => {
    const n = (seen.get(name) ?? 0) + 1;
    seen.set(name, n);
    return n === 1 ? name : `${name}:${n}`;
  });
}

function isOutputFormat(value: string): value is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(value);
}

async function print(
  out: Output,
  format: OutputFormat,
  columns: string[],
  rows: AsyncIterable<QueryValue[]>,
): Promise<void> {
  switch (format) {
    case 'table': {
      const all: QueryValue[][] = [];
      for await (const row of rows) all.push(row);
      const maxWidth = out.isTTY ? (out as { columns?: number }).columns : undefined;
      await write(out, formatTable(columns, all, maxWidth === undefined ? {} : { maxWidth }));
      await write(out, `(${all.length} row${all.length === 1 ? '' : 's'})\n`);
      return;
    }
    case 'csv':
      await write(out, csvRecord(columns));
      for await (const row of rows) await write(out, csvRecord(row));
      return;
    case 'json': {
      const keys = uniqueNames(columns);
      let first = true;
      await write(out, '[');
      for await (const row of rows) {
        await write(out, `${first ? '\n' : ',\n'}${jsonRecord(keys, row)}`);
        first = false;
      }
      await write(out, first ? ']\n' : '\n]\n');
      return;
    }
    case 'ndjson': {
      const keys = uniqueNames(columns);
      for await (const row of rows) await write(out, `${jsonRecord(keys, row)}\n`);
      return;
    }
  }
}

export const queryCommand: Command = {
  name: 'query',
  summary: 'run one read-only SQL statement against the database',
  help: `wxlog query SQL [options]

Runs one SQL statement on the database opened read-only and prints its rows. Statements that could
change the file (INSERT, UPDATE, DELETE, DROP, CREATE, VACUUM, writing PRAGMAs, …) are refused, and so
is more than one statement. Tables and views: log_entries, log_messages, log_lines (one row per message,
with CST times and level names), log_entries_cst, log_messages_fts, scenes, windows, runs, apps.
On PostgreSQL (WXLOG_DB=postgres://…) the statement runs in a READ ONLY transaction, in PostgreSQL's
SQL (no log_messages_fts: use text ILIKE '%…%'); COPY, DO and the other statements that do not read
are refused; json columns print as their stored text.

Options:
${optionsHelp([
  [
    '--format FORMAT',
    'table (default), csv (RFC 4180, with a header), json (an array of objects) or ndjson\n(one object per line). BLOBs print as hex; large integers stay exact.',
  ],
  ...configHelp,
])}

Examples:
  wxlog query "SELECT url, count(*) AS n FROM log_lines WHERE level_name = 'error' GROUP BY url ORDER BY n DESC"
  wxlog query --format csv "SELECT * FROM log_lines WHERE traceid = 'oXu0…_1570852656' ORDER BY time, seq"`,
  async run(ctx: CommandContext) {
    const { values, positionals } = parseCommandArgs('query', ctx.argv, options, true);
    const format = values.format ?? 'table';
    if (!isOutputFormat(format))
      throw new UsageError(`--format: expected one of ${OUTPUT_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
    const sql = positionals.join(' ');
    if (sql.trim() === '')
      throw new UsageError('needs the SQL to run, e.g. wxlog query "SELECT count(*) FROM log_entries"');
    const config = commandConfig(ctx, values, 'local');
    const store = await openCommandStore(config.db);
    try {
      const query = await store.query(sql);
      await print(ctx.stdout, format, query.columns, query.rows);
      return ExitCode.Ok;
    } catch (e: unknown) {
      // A refused write and the database's complaints (syntax, no such table) are the user's to fix: one line, exit 2.
      if (e instanceof QueryRefusedError || e instanceof QuerySqlError) throw new UsageError(e.message, { cause: e });
      throw e;
    } finally {
      await store.close();
    }
  },
};
