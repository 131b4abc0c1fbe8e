import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** The compiled CLI (`npm run bench` and `npm run drill` build it first). */
export const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

const GNU_TIME = '/usr/bin/time';

/** How a spawned `wxlog` ended. */
export interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, Node's start-up included. */
  ms: number;
  /** Peak resident set of the node process, when it was asked for. */
  maxRssKb: number | null;
  /** User plus system CPU time of the node process, when RSS was asked for. */
  cpuMs: number | null;
  /** With `measureCommand`: from the command's start (modules loaded, see src/cli/main.ts) to exit. */
  commandMs: number | null;
  /** With `measureCommand`: the process's start-up, from Node's start to that mark. */
  startupMs: number | null;
}

export interface CliProcess {
  child: ChildProcess;
  /** Milliseconds since the process was spawned. */
  elapsed(): number;
  done: Promise<CliRun>;
}

export interface SpawnOptions {
  cwd?: string;
  /**
   * Measure peak RSS and CPU time: GNU time when installed, else a preloaded exit hook reporting
   * `process.resourceUsage()`.
   */
  measureRss?: boolean;
  /** Measure the command's own time, without Node's and the modules' start-up (a preloaded exit hook). */
  measureCommand?: boolean;
}

// Printed by the preloaded hook on stderr when GNU time is not installed.
const RSS_MARK = 'wxlog-bench-max-rss-kb ';
const RSS_HOOK =
  "data:text/javascript,process.on('exit',()=>{const u=process.resourceUsage();" +
  `process.stderr.write('${RSS_MARK}'+u.maxRSS+' '+(u.userCPUTime+u.systemCPUTime)/1e6+'\\n')})`;

// Printed by the preloaded hook of `measureCommand`: the time since main.ts marked the command's start,
// then the mark's own time (start-up: Node, main and the command's modules).
const COMMAND_MARK = 'wxlog-bench-command-ms ';
const COMMAND_HOOK =
  "data:text/javascript,process.on('exit',()=>{const m=performance.getEntriesByName('wxlog:command')[0];" +
  `if(m)process.stderr.write('${COMMAND_MARK}'+(performance.now()-m.startTime)+' '+m.startTime+'\\n')})`;

let rssFiles = 0;

/**
 * Spawns `node …nodeArgs` with only `env` (plus PATH) in its environment, so that the machine's own
 * WXLOG_* variables change nothing; TZ is set far from China, as nothing may depend on it.
 * With `measureRss` and GNU time, signals reach GNU time rather than node: do not kill such a process.
 */
export function spawnNode(nodeArgs: string[], env: Record<string, string>, options: SpawnOptions = {}): CliProcess {
  const fullEnv = { PATH: process.env['PATH'] ?? '', TZ: 'America/Los_Angeles', ...env };
  let command = process.execPath;
  let argv = options.measureCommand ? ['--import', COMMAND_HOOK, ...nodeArgs] : nodeArgs;
  let rssFile: string | undefined;
  if (options.measureRss && existsSync(GNU_TIME)) {
    rssFile = join(tmpdir(), `wxlog-bench-rss-${process.pid}-${rssFiles++}.txt`);
    command = GNU_TIME;
    argv = ['-f', '%M %U %S', '-o', rssFile, process.execPath, ...argv];
  } else if (options.measureRss) {
    argv = ['--import', RSS_HOOK, ...argv];
  }
  const started = performance.now();
  const child = spawn(command, argv, { env: fullEnv, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status, signal) => {
      const ms = performance.now() - started;
      let usage: string | undefined;
      if (rssFile !== undefined) {
        // GNU time writes "Command terminated by signal …" above the figures when the child was killed.
        usage = existsSync(rssFile) ? readFileSync(rssFile, 'utf8').trim().split('\n').at(-1) : undefined;
        rmSync(rssFile, { force: true });
      }
      // The preloaded hooks' lines are taken out of stderr: the command's own output stays as it was.
      const take = (mark: string): string | undefined => {
        const lines = stderr.split('\n');
        const line = lines.find((l) => l.startsWith(mark));
        if (line === undefined) return undefined;
        stderr = lines.filter((l) => !l.startsWith(mark)).join('\n');
        return line.slice(mark.length);
      };
      if (rssFile === undefined && options.measureRss) usage = take(RSS_MARK);
      const commandLine = take(COMMAND_MARK);
      const [commandText, startupText] = commandLine === undefined ? [] : commandLine.split(' ');
      const commandMs = commandText === undefined ? null : Number(commandText);
      const startupMs = startupText === undefined ? null : Number(startupText);
      const [kb, ...cpu] = (usage ?? '').split(' ').map(Number);
      const maxRssKb = kb !== undefined && Number.isFinite(kb) && kb > 0 ? kb : null;
      const cpuSeconds = cpu.reduce((a, b) => a + b, 0);
      const cpuMs = usage !== undefined && Number.isFinite(cpuSeconds) ? cpuSeconds * 1000 : null;
      resolve({ status, signal, stdout, stderr, ms, maxRssKb, cpuMs, commandMs, startupMs });
    });
  });
  return { child, elapsed: () => performance.now() - started, done };
}

/** Spawns `node dist/cli/main.js …args` (see spawnNode). */
export function spawnCli(args: string[], env: Record<string, string>, options: SpawnOptions = {}): CliProcess {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  return spawnNode([CLI, ...args], env, options);
}

/** Runs the CLI to its end. */
export function runCli(args: string[], env: Record<string, string>, options: SpawnOptions = {}): Promise<CliRun> {
  return spawnCli(args, env, options).done;
}
