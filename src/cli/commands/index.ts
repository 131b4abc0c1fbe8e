import type { Command } from '../command.js';
import { daemonCommand } from './daemon.js';
import { demoCommand } from './demo.js';
import { migrateCommand } from './migrate.js';
import { pruneCommand } from './prune.js';
import { queryCommand } from './query.js';
import { quotaCommand } from './quota.js';
import { runCommand } from './run.js';
import { scenesCommand } from './scenes.js';
import { searchCommand } from './search.js';
import { simulatorCommand } from './simulator.js';
import { statusCommand } from './status.js';

/** Every command, in the order `wxlog --help` lists them. Each lives in its own file. */
export const commands: Command[] = [
  runCommand,
  daemonCommand,
  scenesCommand,
  quotaCommand,
  migrateCommand,
  demoCommand,
  statusCommand,
  queryCommand,
  searchCommand,
  pruneCommand,
  simulatorCommand,
];
