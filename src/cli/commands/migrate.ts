import { Store } from '../../store/store.js';
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
lacks, each in its own transaction. A database newer than this wxlog is refused. Other commands
migrate on their own; this is for deploy steps that want it done first.

Options:
${optionsHelp(configHelp)}`,
  async run(ctx: CommandContext) {
    const { values } = parseCommandArgs('migrate', ctx.argv, configOptions, false);
    const config = commandConfig(ctx, values, 'local');
    const store = Store.open(config.db);
    try {
      const applied = store.migrations.filter((m) => m.status === 'applied');
      ctx.stdout.write(
        applied.length === 0
          ? `wxlog migrate: ${config.db} is up to date (schema version ${store.migrations.length})\n`
          : `wxlog migrate: applied ${applied.map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`).join(', ')} to ${config.db}\n`,
      );
      return ExitCode.Ok;
    } finally {
      store.close();
    }
  },
};
