import type { Command } from '../command.js';
import { demoCommand } from './demo.js';
import { migrateCommand } from './migrate.js';
import { runCommand } from './run.js';
import { scenesCommand } from './scenes.js';
import { simulatorCommand } from './simulator.js';

/** Every command, in the order `wxlog --help` lists them. Each lives in its own file. */
export const commands: Command[] = [
  runCommand,
  scenesCommand,
  migrateCommand,
  demoCommand,
  simulatorCommand,
];
