import type { Command } from '../command.js';
import { simulatorCommand } from './simulator.js';

/** Every command, in the order `wxlog --help` lists them. Each lives in its own file. */
export const commands: Command[] = [simulatorCommand];
