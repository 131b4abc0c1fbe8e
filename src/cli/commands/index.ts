import type { Command } from '../command.js';

/**
 * What `wxlog --help` needs of a command, without loading it: its name, its one-line summary, and how
 * to load the rest. Importing every command's module (and with them zod, undici, node-cron, the
 * exporter, the simulator) cost every command about 0.25 s of start-up; now only the one that runs is
 * loaded. test/cli/command-registry.test.ts checks that each entry matches its module's command.
 */
export interface CommandEntry {
  name: string;
  /** One line for `wxlog --help`; the same as the loaded command's `summary`. */
  summary: string;
  /** Imports the command's module and returns its command. */
  load(): Promise<Command>;
}

/** Every command, in the order `wxlog --help` lists them. Each lives in its own file. */
export const commands: readonly CommandEntry[] = [
  {
    name: 'run',
    summary: 'one export pass over the retention window, then exit',
    load: async () => (await import('./run.js')).runCommand,
  },
  {
    name: 'daemon',
    summary: 'stay up and run an export pass on the cron schedule WXLOG_SCHEDULE',
    load: async () => (await import('./daemon.js')).daemonCommand,
  },
  {
    name: 'scenes',
    summary: 'refresh and print the scene list (getSceneList)',
    load: async () => (await import('./scenes.js')).scenesCommand,
  },
  {
    name: 'quota',
    summary: 'daily quota and rate limit of userlog_search (getApiQuota)',
    load: async () => (await import('./quota.js')).quotaCommand,
  },
  {
    name: 'migrate',
    summary: 'apply database migrations and exit',
    load: async () => (await import('./migrate.js')).migrateCommand,
  },
  {
    name: 'demo',
    summary: 'export from the built-in simulator into ./data/demo.db and show what to try',
    load: async () => (await import('./demo.js')).demoCommand,
  },
  {
    name: 'status',
    summary: 'coverage per CST day (windows, stored vs server total) and the last runs',
    load: async () => (await import('./status.js')).statusCommand,
  },
  {
    name: 'query',
    summary: 'run one read-only SQL statement against the database',
    load: async () => (await import('./query.js')).queryCommand,
  },
  {
    name: 'search',
    summary: 'full-text search over stored messages, newest first',
    load: async () => (await import('./search.js')).searchCommand,
  },
  {
    name: 'prune',
    summary: 'delete stored entries older than some days, then reclaim the space',
    load: async () => (await import('./prune.js')).pruneCommand,
  },
  {
    name: 'simulator',
    summary: 'run the built-in WeChat API simulator on loopback',
    load: async () => (await import('./simulator.js')).simulatorCommand,
  },
];
