import { join } from 'node:path';
import type { FaultKind, Simulator } from '../src/simulator/simulator.js';
import { cstDayOf, addCstDays } from '../src/wechat/cst-day.js';
import { frozenSimulator, wxlogEnv } from './bench-env.js';
import { runCli } from './cli-process.js';
import { dataChecksum, integrity, storedRows } from './db-checksum.js';
import { caseFrom, type DrillCase, type DrillReport } from './drill-case.js';
import { exactProblems } from '../test/helpers/served-rows.js';
import { startMalformedProxy, type CannedAnswer } from './malformed-proxy.js';
import type { TempDirs } from './temp-dirs.js';

const JSON_TYPE = 'application/json; encoding=utf-8';

/** Each malformed answer, from the simulator's own faults (at rate 1) or the proxy. */
const MALFORMED: { name: string; fault?: FaultKind; answer?: CannedAnswer }[] = [
  { name: 'wrong types (simulator bad-shape: list "x", total "y")', fault: 'bad-shape' },
  { name: 'HTML instead of JSON (simulator html, HTTP 200)', fault: 'html' },
  { name: 'missing data', answer: { contentType: JSON_TYPE, body: '{"errcode":0,"errmsg":"ok"}' } },
  {
    name: 'list not an array',
    answer: {
      contentType: JSON_TYPE,
      body: '{"errcode":0,"errmsg":"ok","data":{"list":{"0":{"timestamp":1}},"total":1}}',
    },
  },
  {
    name: 'entries of the wrong types',
    answer: {
      contentType: JSON_TYPE,
      body: '{"errcode":0,"data":{"list":[{"timestamp":"1763784000","msg":"oops","level":"warn"}],"total":1}}',
    },
  },
  { name: 'total missing', answer: { contentType: JSON_TYPE, body: '{"errcode":0,"data":{"list":[]}}' } },
  { name: 'negative total', answer: { contentType: JSON_TYPE, body: '{"errcode":0,"data":{"list":[],"total":-1}}' } },
  { name: 'errcode as text', answer: { contentType: JSON_TYPE, body: '{"errcode":"0","data":{"list":[],"total":0}}' } },
  { name: 'a JSON array', answer: { contentType: JSON_TYPE, body: '[]' } },
  { name: 'an empty body', answer: { contentType: JSON_TYPE, body: '' } },
];

function problemsOfFailedRun(run: { status: number | null; stdout: string; stderr: string }): string[] {
  const problems: string[] = [];
  if (run.status !== 1) problems.push(`exit ${String(run.status)}, not 1`);
  const errors = /(\d+) errors/.exec(run.stdout);
  if (!errors || Number(errors[1]) === 0) problems.push(`no errors reported: ${JSON.stringify(run.stdout.trim())}`);
  if (/^\s+at /m.test(run.stderr)) problems.push('a stack trace on stderr');
  return problems;
}

/**
 * Malformed upstream answers, each for a whole run (every search answered so): the run reports errors
 * and exits 1, and the stored logs stay exactly as they were (a digest of every row before and after).
 * First against a fresh database, then against a complete one while the server holds new entries;
 * finally a normal run must leave the database exact.
 */
export async function malformedUpstreamDrill(dirs: TempDirs): Promise<DrillReport> {
  const sim: Simulator = await frozenSimulator(Date.now(), {
    perDay: 300,
    callsPerMinute: 1_000_000,
    intervalMs: 1000,
  });
  const proxy = await startMalformedProxy(sim.url);
  const cases: DrillCase[] = [];
  try {
    const db = join(dirs.make('malformed'), 'wxlog.db');
    // Two days keep each failing run short: the client retries every search 4 times with backoff.
    const env = { ...wxlogEnv(sim, db, { WXLOG_CALLS_PER_MINUTE: '49' }), WXLOG_API_BASE: proxy.url };
    const failing = { ...env, WXLOG_LOOKBACK_DAYS: '2' };
    const apply = (m: (typeof MALFORMED)[number]): void => {
      sim.setFaults(m.fault === undefined ? undefined : { rate: 1, kinds: [m.fault] });
      proxy.answerSearches(m.answer);
    };
    const healthy = (): void => {
      sim.setFaults(undefined);
      proxy.answerSearches(undefined);
    };

    // A fresh database: nothing may be stored.
    const first = MALFORMED[0];
    if (first) {
      apply(first);
      const run = await runCli(['run'], failing);
      const rows = storedRows(db);
      cases.push(
        caseFrom(`fresh database, ${first.name}`, [
          ...problemsOfFailedRun(run),
          ...(rows === 0 ? [] : [`${rows} rows were stored`]),
        ]),
      );
    }

    healthy();
    const baseline = await runCli(['run'], env);
    cases.push(
      caseFrom('normal run after the fresh-database case is exact', [
        ...(baseline.status === 0 ? [] : [`exit ${String(baseline.status)}`]),
        ...exactProblems(db, sim),
      ]),
    );

    // New entries upstream that a failing run must neither lose nor half-store.
    const today = cstDayOf(Math.floor(Date.now() / 1000));
    sim.addEntries(today, 25);
    sim.addEntries(addCstDays(today, -1), 25);
    for (const m of MALFORMED) {
      apply(m);
      const before = dataChecksum(db);
      const run = await runCli(['run'], failing);
      const problems = problemsOfFailedRun(run);
      if (dataChecksum(db) !== before) problems.push('stored rows changed');
      const sound = integrity(db);
      if (sound !== 'ok') problems.push(`integrity_check: ${sound}`);
      cases.push(caseFrom(`complete database, new entries upstream, ${m.name}`, problems));
    }

    healthy();
    const final = await runCli(['run'], env);
    cases.push(
      caseFrom('then a normal run: exit 0, database exact', [
        ...(final.status === 0 ? [] : [`exit ${String(final.status)}`]),
        ...exactProblems(db, sim),
      ]),
    );
  } finally {
    await proxy.close();
    await sim.close();
  }
  return { drill: 'malformed upstream answers', cases, notes: [] };
}
