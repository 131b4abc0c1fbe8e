import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Simulator } from '../src/simulator/simulator.js';
import { frozenSimulator, wxlogEnv } from './bench-env.js';
import { runCli } from './cli-process.js';
import { fileChecksum } from './db-checksum.js';
import { caseFrom, type DrillCase, type DrillReport } from './drill-case.js';
import type { TempDirs } from './temp-dirs.js';

/** One bad setting: how it is given, and what the error line must name. */
interface BadSetting {
  /** WXLOG_* variables set (an empty string removes the base value). */
  env?: Record<string, string>;
  /** Content of ./wxlog.json, given with WXLOG_CONFIG. */
  file?: string;
  args?: string[];
  names: string;
  /** A secret value that must not be echoed. */
  secret?: string;
}

const CASES: BadSetting[] = [
  { env: { WXLOG_APPID: 'wx 1234' }, names: 'WXLOG_APPID' },
  { env: { WXLOG_APPID: '' }, names: 'WXLOG_APPID' },
  { env: { WXLOG_SECRET: 'two words' }, names: 'WXLOG_SECRET', secret: 'two words' },
  { env: { WXLOG_SECRET: '' }, names: 'WXLOG_SECRET' },
  { env: { WXLOG_TOKEN_MODE: 'magic' }, names: 'WXLOG_TOKEN_MODE' },
  { env: { WXLOG_TOKEN_MODE: 'static' }, names: 'WXLOG_ACCESS_TOKEN' },
  { env: { WXLOG_ACCESS_TOKEN: 'tok en' }, names: 'WXLOG_ACCESS_TOKEN', secret: 'tok en' },
  {
    env: { WXLOG_ACCESS_TOKEN: 'token-from-elsewhere', WXLOG_TOKEN_MODE: 'stable' },
    names: 'WXLOG_TOKEN_MODE',
    secret: 'token-from-elsewhere',
  },
  { env: { WXLOG_API_BASE: 'ftp://api.weixin.qq.com' }, names: 'WXLOG_API_BASE' },
  { env: { WXLOG_API_BASE: 'http://127.0.0.1:1/wxaapi' }, names: 'WXLOG_API_BASE' },
  { env: { WXLOG_API_BASE: 'api.weixin.qq.com' }, names: 'WXLOG_API_BASE' },
  { env: { WXLOG_CALLS_PER_MINUTE: '50' }, names: 'WXLOG_CALLS_PER_MINUTE' },
  { env: { WXLOG_CALLS_PER_MINUTE: '0' }, names: 'WXLOG_CALLS_PER_MINUTE' },
  { env: { WXLOG_CALLS_PER_MINUTE: '4.5' }, names: 'WXLOG_CALLS_PER_MINUTE' },
  { env: { WXLOG_CALLS_PER_MINUTE: 'lots' }, names: 'WXLOG_CALLS_PER_MINUTE' },
  { env: { WXLOG_RATE_INTERVAL_MS: '99' }, names: 'WXLOG_RATE_INTERVAL_MS' },
  { env: { WXLOG_RATE_INTERVAL_MS: '1e3' }, names: 'WXLOG_RATE_INTERVAL_MS' },
  { env: { WXLOG_LOOKBACK_DAYS: '0' }, names: 'WXLOG_LOOKBACK_DAYS' },
  { env: { WXLOG_LOOKBACK_DAYS: '8' }, names: 'WXLOG_LOOKBACK_DAYS' },
  { env: { WXLOG_PAGE_SIZE: '0' }, names: 'WXLOG_PAGE_SIZE' },
  { env: { WXLOG_PAGE_SIZE: '1001' }, names: 'WXLOG_PAGE_SIZE' },
  { env: { WXLOG_PAGE_SIZE: '0x10' }, names: 'WXLOG_PAGE_SIZE' },
  { env: { WXLOG_LEVEL: '3' }, names: 'WXLOG_LEVEL' },
  { env: { WXLOG_LEVEL: 'fatal' }, names: 'WXLOG_LEVEL' },
  { env: { WXLOG_SCHEDULE: '* * *' }, names: 'WXLOG_SCHEDULE' },
  { env: { WXLOG_SCHEDULE: '61 * * * *' }, names: 'WXLOG_SCHEDULE' },
  { env: { WXLOG_SCHEDULE: '@daily' }, names: 'WXLOG_SCHEDULE' },
  { env: { WXLOG_LOG_LEVEL: 'verbose' }, names: 'WXLOG_LOG_LEVEL' },
  // Text settings whose variables cannot be invalid (an empty variable counts as unset): in the file.
  { file: '{"db": ""}', names: 'db' },
  { file: '{"db": 7}', names: 'db' },
  { file: '{"filters": {"filterMsg": ""}}', names: 'filters.filterMsg' },
  { file: '{"filters": {"url": 5}}', names: 'filters.url' },
  { file: '{"filters": {"openid": ""}}', names: 'filters.openid' },
  { file: '{"filters": {"traceId": ["x"]}}', names: 'filters.traceId' },
  { file: '{"filters": {"levle": 4}}', names: 'filters.levle' },
  { file: '{"pageSize": "100"}', names: 'pageSize' },
  { file: '{"pagesize": 100}', names: 'pagesize' },
  { file: '{"secret": "has space"}', names: 'secret', secret: 'has space' },
  { file: '{ "appid": ', names: 'WXLOG_CONFIG' },
  { file: '[]', names: 'WXLOG_CONFIG' },
  { file: '', names: 'WXLOG_CONFIG' },
  { env: { WXLOG_CONFIG: './no-such-file.json' }, names: 'WXLOG_CONFIG' },
  { args: ['--bogus'], names: '--bogus' },
  { args: ['--config'], names: '--config' },
];

function describe(c: BadSetting): string {
  const parts = [
    ...Object.entries(c.env ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`),
    ...(c.file === undefined ? [] : [`config file ${JSON.stringify(c.file)}`]),
    ...(c.args ?? []),
  ];
  return parts.join(' ');
}

async function tryCase(c: BadSetting, sim: Simulator, dir: string, db: string): Promise<string[]> {
  const problems: string[] = [];
  const env = wxlogEnv(sim, db, c.env ?? {});
  for (const [name, value] of Object.entries(env)) if (value === '') delete env[name];
  if (c.file !== undefined) {
    writeFileSync(join(dir, 'wxlog.json'), c.file);
    env['WXLOG_CONFIG'] = './wxlog.json';
  }
  const before = readdirSync(dir).sort().join(',');
  const run = await runCli(['run', ...(c.args ?? [])], env, { cwd: dir });
  if (run.status !== 2) problems.push(`exit ${String(run.status ?? run.signal)}, not 2`);
  const lines = run.stderr.split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== 1) problems.push(`${lines.length} lines on stderr: ${JSON.stringify(run.stderr.slice(0, 300))}`);
  if (!run.stderr.includes(c.names))
    problems.push(`stderr does not name ${c.names}: ${JSON.stringify(run.stderr.trim())}`);
  if (/^\s+at /m.test(run.stderr)) problems.push('a stack trace on stderr');
  if (c.secret !== undefined && (run.stderr + run.stdout).includes(c.secret))
    problems.push('the secret value is echoed');
  const after = readdirSync(dir).sort().join(',');
  if (after !== before) problems.push(`files appeared: ${after}`);
  return problems;
}

/**
 * Every setting with invalid values, given to `wxlog run`: exit 2, one line on stderr naming the
 * setting, no stack trace, no secret echoed, and the database neither created (a fresh folder stays
 * empty) nor changed (an existing database keeps its bytes).
 */
export async function badSettingsDrill(dirs: TempDirs, existingDb: string): Promise<DrillReport> {
  const sim = await frozenSimulator(Date.now(), { perDay: 10 });
  const cases: DrillCase[] = [];
  try {
    for (const c of CASES) {
      // In a fresh folder, with the database inside it: nothing may appear there.
      const fresh = dirs.make('bad-setting');
      const problems = await tryCase(c, sim, fresh, join(fresh, 'data', 'wxlog.db'));
      // Against an existing database: its bytes must not change.
      const before = fileChecksum(existingDb);
      const again = await tryCase(c, sim, dirs.make('bad-setting'), existingDb);
      if (fileChecksum(existingDb) !== before) again.push('the existing database changed');
      cases.push(caseFrom(describe(c), [...problems, ...again.map((p) => `with an existing database: ${p}`)]));
    }
  } finally {
    await sim.close();
  }
  return { drill: 'bad settings', cases, notes: [] };
}
