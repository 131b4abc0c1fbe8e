import { join } from 'node:path';
import { badSettingsDrill } from './bad-settings-drill.js';
import { frozenSimulator, wxlogEnv } from './bench-env.js';
import { runCli } from './cli-process.js';
import { formatReport, type DrillReport } from './drill-case.js';
import { faultStormDrill } from './fault-storm-drill.js';
import { killDrill } from './kill-drill.js';
import { malformedUpstreamDrill } from './malformed-upstream-drill.js';
import { TempDirs } from './temp-dirs.js';

// npm run drill. DRILL_SEED replays the kill instants of an earlier run; DRILL_KEEP=1 keeps the databases.

function progress(text: string): void {
  process.stderr.write(`[drill ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

/** A small complete database for the bad-settings drill to leave untouched. */
async function existingDatabase(dirs: TempDirs): Promise<string> {
  const sim = await frozenSimulator(Date.now(), { perDay: 50 });
  try {
    const db = join(dirs.make('existing'), 'wxlog.db');
    const run = await runCli(['run'], wxlogEnv(sim, db));
    if (run.status !== 0)
      throw new Error(`could not build a database to protect: ${run.stdout.trim()} ${run.stderr.trim()}`);
    return db;
  } finally {
    await sim.close();
  }
}

async function main(): Promise<number> {
  const raw = process.env['DRILL_SEED'];
  const seed = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : Math.floor(Math.random() * 2 ** 31);
  const dirs = new TempDirs(process.env['DRILL_KEEP'] === '1');
  const reports: DrillReport[] = [];
  try {
    progress('SIGKILL at 20 random instants');
    reports.push(await killDrill(dirs, seed));
    progress('fault storm');
    reports.push(await faultStormDrill(dirs));
    progress('bad settings');
    reports.push(await badSettingsDrill(dirs, await existingDatabase(dirs)));
    progress('malformed upstream answers');
    reports.push(await malformedUpstreamDrill(dirs));
  } finally {
    dirs.removeAll();
  }
  const tried = reports.reduce((n, r) => n + r.cases.length, 0);
  const held = reports.reduce((n, r) => n + r.cases.filter((c) => c.held).length, 0);
  process.stdout.write(`${reports.map(formatReport).join('\n')}\n\nwxlog drill: ${held} of ${tried} cases held.\n`);
  return held === tried ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e);
    process.exitCode = 2;
  },
);
