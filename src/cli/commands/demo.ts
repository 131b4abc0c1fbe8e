import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { loadConfig } from '../../config/load-config.js';
import { startSimulator } from '../../simulator/simulator.js';
import type { Command, CommandContext } from '../command.js';
import { commandLogger } from '../cli-config.js';
import { replaceDemoDatabase } from '../demo-database.js';
import { parseCommandArgs } from '../command-args.js';
import { exportPass } from '../export-pass.js';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../command.js';
import { optionsHelp } from '../options-help.js';

const EXAMPLES = (db: string): string[] => [
  `npx wxlog query --db ${db} "SELECT date_cst, level_name, count(*) AS entries FROM log_entries_cst GROUP BY 1, 2 ORDER BY 1, 2"`,
  `npx wxlog search --db ${db} 请求失败 --limit 5`,
  `npx wxlog query --db ${db} "SELECT url, count(*) AS errors FROM log_entries WHERE level & 8 GROUP BY url ORDER BY errors DESC LIMIT 5"`,
];

export const demoCommand: Command = {
  name: 'demo',
  summary: 'export from the built-in simulator into ./data/demo.db and show what to try',
  help: `wxlog demo [options]

Starts the built-in WeChat API simulator on 127.0.0.1 (nothing leaves this machine, no AppSecret
needed), exports its last seven days of realtime logs into a SQLite file exactly as \`wxlog run\`
does against WeChat, prints a summary and three example queries to try. Each demo starts a fresh
file: a previous demo's database at that path is replaced, so that another --per-day or --seed does
not mix with it (a file holding runs other than the demo's is refused, never replaced).

Options:
${optionsHelp([
  ['--db FILE', 'database to fill (default ./data/demo.db)'],
  ['--per-day N', 'simulated entries per day (default 300)'],
  ['--seed N', 'simulator data seed (default 1)'],
  [
    '--apps N',
    "a platform of N apps (1 to 1000) whose tokens come from the simulator's central token service\n(WXLOG_TOKEN_URL), listed one AppID a line in an apps file beside the database (WXLOG_APPS_FILE)",
  ],
])}`,
  async run(ctx: CommandContext) {
    const { values } = parseCommandArgs(
      'demo',
      ctx.argv,
      { db: { type: 'string' }, 'per-day': { type: 'string' }, seed: { type: 'string' }, apps: { type: 'string' } },
      false,
    );
    const perDay = Number(values['per-day'] ?? 300);
    if (!Number.isInteger(perDay) || perDay < 1 || perDay > 100_000)
      throw new UsageError(`--per-day must be an integer from 1 to 100000, got ${JSON.stringify(values['per-day'])}`);
    const seed = Number(values.seed ?? 1);
    if (!Number.isInteger(seed) || seed < 0)
      throw new UsageError(`--seed must be a non-negative integer, got ${JSON.stringify(values.seed)}`);
    const appCount = values.apps === undefined ? undefined : Number(values.apps);
    if (appCount !== undefined && !(Number.isInteger(appCount) && appCount >= 1 && appCount <= 1000))
      throw new UsageError(`--apps must be an integer from 1 to 1000, got ${JSON.stringify(values.apps)}`);
    const db = values.db ?? 'data/demo.db';
    const dbPath = resolve(ctx.cwd, db);
    const replaced = replaceDemoDatabase(dbPath, db);
    const sim = await startSimulator({ perDay, seed, ...(appCount === undefined ? {} : { appCount }) });
    try {
      // Only the simulator's own credentials: a user's real WXLOG_* settings must not leak into the demo.
      let appsFile: string | undefined;
      const env: Record<string, string> = {
        WXLOG_API_BASE: sim.url,
        WXLOG_DB: dbPath,
        WXLOG_LOG_LEVEL: ctx.env.WXLOG_LOG_LEVEL ?? 'warn',
      };
      if (appCount === undefined) {
        Object.assign(env, { WXLOG_APPID: sim.options.appid, WXLOG_SECRET: sim.options.secret });
      } else {
        // A platform's setup: the apps in a file, every token from the central token service.
        appsFile = `${dbPath.replace(/\.db$/, '')}.apps`;
        const list = sim.apps().map((a) => a.appid);
        mkdirSync(dirname(appsFile), { recursive: true });
        writeFileSync(
          appsFile,
          `# wxlog demo: the simulator's ${list.length} apps, one AppID a line\n${list.join('\n')}\n`,
        );
        Object.assign(env, { WXLOG_APPS_FILE: appsFile, WXLOG_TOKEN_URL: sim.tokenServiceUrl });
      }
      const config = loadConfig({ env, cwd: ctx.cwd });
      const logger = commandLogger(ctx, config);
      const fresh = replaced ? `a fresh ${db} (the previous demo database was removed)` : `a new ${db}`;
      const what =
        appCount === undefined ? '' : ` of ${appCount} apps (listed in ${relative(ctx.cwd, appsFile ?? '')})`;
      ctx.stdout.write(
        `wxlog demo: simulator listening on ${sim.url}; exporting the last 7 CST days${what} into ${fresh}\n`,
      );
      const outcome = await exportPass({ config, logger, command: 'demo', signal: ctx.signal, env: ctx.env });
      ctx.stdout.write(`wxlog demo: ${outcome.summary}\n`);
      for (const failure of outcome.failures) ctx.stdout.write(`wxlog demo: failed ${failure}\n`);
      if (appCount !== undefined) {
        ctx.stdout.write(`\nEvery app's coverage: npx wxlog status --db ${db}\n`);
      }
      if (outcome.result) {
        ctx.stdout.write('\n  day (CST)   windows  stored  server total\n');
        for (const d of outcome.result.days) {
          const windows = `${d.windowsComplete}/${d.windowsComplete + d.windowsIncomplete}`;
          ctx.stdout.write(
            `  ${d.date}  ${windows.padStart(7)}  ${String(d.stored).padStart(6)}  ${String(d.serverTotal ?? '-').padStart(12)}\n`,
          );
        }
      }
      ctx.stdout.write(
        `\nTry:\n${EXAMPLES(db)
          .map((e) => `  ${e}\n`)
          .join('')}\nOr open ${db} in sqlite3 or Datasette: see README.md for the tables.\n`,
      );
      return outcome.exitCode === ExitCode.Locked ? ExitCode.Locked : outcome.exitCode;
    } finally {
      await sim.close();
    }
  },
};
