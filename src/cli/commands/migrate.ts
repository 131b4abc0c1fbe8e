import { displayDatabase, openStore } from '../../store/open-store.js';
import type { Command, CommandContext } from '../command.js';
import { parseCommandArgs } from '../command-args.js';
import { commandConfig, configHelp, configOptions } from '../cli-config.js';
import { ExitCode } from '../exit-codes.js';
import { optionsHelp } from '../options-help.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'apply database migrations and exit',
  help: `wxlog migrate [options]

Creates the database (and its folder) if needed and applies the migrations in migrations/sqlite/ that it
lacks, each in its own transaction; for a postgres:// WXLOG_DB, those of migrations/postgres/ (the
database itself must exist, see docs/postgres.md). A database newer than this wxlog is refused. Other commands
migrate on their own; this is for deploy steps that want it done first.

Options:
${optionsHelp(configHelp)}`,
  async run(ctx: CommandContext) {
    const { values } = parseCommandArgs('migrate', ctx.argv, configOptions, false);
    const config = commandConfig(ctx, values, 'local');
    const { db } = config;
    const store = await openStore(db, { poolSize: 1 });
    // The password of a URL never shows.
    const shown = displayDatabase(db);
    try {
      const migrations = store.engine === 'sqlite' ? store.store.migrations : store.migrations;
      const applied = migrations.filter((m) => m.status === 'applied');
      ctx.stdout.write(
        applied.length === 0
          ? `wxlog migrate: ${shown} is up to date (schema version ${migrations.length})\n`
          : `wxlog migrate: applied ${applied.map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`).join(', ')} to ${shown}\n`,
      );
      return ExitCode.Ok;
    } finally {
      await store.close();
    }
  },
};
