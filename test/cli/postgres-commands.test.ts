import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { SIMULATED_SCENES } from '../../src/simulator/scenes.js';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import type { AsyncStore } from '../../src/store/async-store.js';
import { entryFingerprint } from '../../src/store/fingerprint.js';
import { messageText } from '../../src/store/message-text.js';
import { openStore } from '../../src/store/open-store.js';
import { loadPostgresMigrations } from '../../src/store/postgres/migrator.js';
import { PgStore } from '../../src/store/postgres/pg-store.js';
import type { RunRecord } from '../../src/store/run-history.js';
import { cstDayBounds, recentCstDays } from '../../src/wechat/cst-day.js';
import { readServedEntry } from '../../src/wechat/served-entry.js';
import { createTestDatabase } from '../helpers/postgres-server.js';
import { tempDir } from '../helpers/temp-dir.js';
import { runCli, simulatorEnv } from './run-cli.js';

const APP_A = 'wxaaaaaaaaaaaaaaaa';
const APP_B = 'wxbbbbbbbbbbbbbbbb';
const PASSWORD = 'hunter2-Pg-secret';
const DAY = 86_400;

// The test server trusts loopback connections, so the password is ignored: it is only there to be hidden.
function withPassword(url: string): string {
  const u = new URL(url);
  u.password = PASSWORD;
  return u.toString();
}

async function freshDatabase(): Promise<string> {
  const url = await createTestDatabase(inject('postgresUrl'), 'wxlog_cli');
  const store = await PgStore.open(url);
  await store.close();
  return withPassword(url);
}

interface Message {
  time: number;
  level: number;
  msg: unknown[];
}

function served(timestamp: number, traceid: string, messages: Message[], extra: object = {}) {
  return readServedEntry(
    JSON.parse(JSON.stringify({ timestamp, traceid, level: 2, url: 'pages/index/index', msg: messages, ...extra })),
  );
}

async function fill(url: string, work: (store: PgStore) => Promise<unknown>): Promise<void> {
  const store = await PgStore.open(url);
  try {
    await work(store);
  } finally {
    await store.close();
  }
}

// The same work on either engine: `db` is a PostgreSQL URL or a SQLite path.
async function fillEngine(db: string, work: (store: AsyncStore) => Promise<unknown>): Promise<void> {
  const store = await openStore(db);
  try {
    await work(store);
  } finally {
    await store.close();
  }
}

const cli = (url: string, args: string[], env: Record<string, string> = {}) => runCli(args, { WXLOG_DB: url, ...env });

function record(exitCode: number, message: string | null): RunRecord {
  return {
    exitCode,
    searchCalls: 3,
    entriesNew: 2,
    entriesSeen: 2,
    windowsComplete: 1,
    windowsIncomplete: 0,
    rateLimited: 0,
    unexpectedShape: 0,
    errors: message === null ? 0 : 1,
    message,
  };
}

const now = (): number => Math.floor(Date.now() / 1000);

describe('wxlog query on PostgreSQL', () => {
  it('prints every format, bigints as numbers and json columns as their stored text', async () => {
    const url = await freshDatabase();
    const t = now() - 3600;
    await fill(url, (store) =>
      store.savePage(
        APP_A,
        '',
        [served(t, 'trace-1', [{ time: t, level: 4, msg: ['网络请求失败', { code: 404, a: 1.5 }] }])],
        t,
      ),
    );
    const sql = 'SELECT appid, timestamp, msg, level FROM log_entries';
    const json = await cli(url, ['query', '--format', 'json', sql]);
    expect(json.stderr).toBe('');
    expect(json.status).toBe(0);
    const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(rows).toEqual([
      {
        appid: APP_A,
        timestamp: t,
        msg: JSON.stringify([{ time: t, level: 4, msg: ['网络请求失败', { code: 404, a: 1.5 }] }]),
        level: 2,
      },
    ]);
    const ndjson = await cli(url, ['query', '--format', 'ndjson', sql]);
    expect(
      ndjson.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual(rows);
    const csv = await cli(url, ['query', '--format', 'csv', 'SELECT appid, timestamp FROM log_entries']);
    expect(csv.stdout).toBe(`appid,timestamp\r\n${APP_A},${t}\r\n`);
    const table = await cli(url, ['query', "SELECT count(*) AS n, 'x'::text AS s FROM log_lines"]);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/^n \| s\n--\+--\n1 \| x\n/);
    expect(table.stdout).toMatch(/\(1 row\)\n$/);
  });

  it('refuses writes and several statements in one line, exit 2, and changes nothing', async () => {
    const url = await freshDatabase();
    for (const sql of [
      "INSERT INTO state (key, value, updated_at) VALUES ('k', 'v', 1)",
      'WITH d AS (DELETE FROM apps RETURNING 1) SELECT count(*) FROM d',
      'CREATE TABLE t (x int)',
      "SELECT 1; INSERT INTO state (key, value, updated_at) VALUES ('k', 'v', 1)",
      "SELECT 1; COMMIT; INSERT INTO state (key, value, updated_at) VALUES ('k', 'v', 1)",
    ]) {
      const r = await cli(url, ['query', sql]);
      expect(r.status, sql).toBe(2);
      expect(r.stderr, sql).toMatch(/^wxlog query: query (is read-only|takes a single SQL statement)[^\n]*\n$/);
      expect(r.stdout).toBe('');
    }
    const bad = await cli(url, ['query', 'SELECT nope FROM nowhere']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^wxlog query: relation "nowhere" does not exist\n$/);
    const count = await cli(url, ['query', '--format', 'csv', 'SELECT count(*) AS n FROM state']);
    expect(count.stdout).toBe('n\r\n0\r\n');
  });

  it("refuses what READ ONLY lets through: a superuser's COPY … TO PROGRAM, DO, LOAD or CALL never reaches the server", async () => {
    // READ ONLY allows both: the first runs a shell command on the server, the second any PL/pgSQL.
    const url = await freshDatabase();
    const marker = join(tmpdir(), `wxlog-copy-${process.pid}-${Date.now()}`);
    for (const [sql, keyword] of [
      [`COPY (SELECT 1) TO PROGRAM 'touch ${marker}'`, 'COPY'],
      [`  -- a comment\n/* and another */ copy (SELECT 1) TO PROGRAM 'touch ${marker}'`, 'COPY'],
      // PostgreSQL nests block comments: this one ends after SELECT, and the statement is a COPY.
      [`/* /* */ SELECT */ COPY (SELECT 1) TO PROGRAM 'touch ${marker}'`, 'COPY'],
      [`DO $$ BEGIN EXECUTE 'COPY (SELECT 1) TO PROGRAM ''touch ${marker}'''; END $$`, 'DO'],
      ["LOAD 'auto_explain'", 'LOAD'],
      ['CALL nothing()', 'CALL'],
    ]) {
      const r = await cli(url, ['query', sql!]);
      expect(r.status, sql).toBe(2);
      expect(r.stderr, sql).toBe(
        `wxlog query: query runs statements that read (SELECT, WITH, VALUES, TABLE, SHOW, EXPLAIN) on PostgreSQL; ${keyword} is refused\n`,
      );
    }
    expect(existsSync(marker)).toBe(false);
    // Those that return rows, behind comments and parentheses too.
    for (const [sql, out] of [
      ['/* c /* nested */ */ (SELECT 1 AS x)', 'x\r\n1\r\n'],
      [' -- c\nVALUES (2)', 'column1\r\n2\r\n'],
      ['TABLE schema_migrations LIMIT 0', 'version,name,applied_at\r\n'],
      ['SHOW client_encoding', 'client_encoding\r\nUTF8\r\n'],
      ['WITH t AS (SELECT 3 AS y) SELECT y FROM t', 'y\r\n3\r\n'],
    ]) {
      const r = await cli(url, ['query', '--format', 'csv', sql!]);
      expect(r.stderr, sql).toBe('');
      expect(r.stdout, sql).toBe(out);
    }
    const explain = await cli(url, ['query', 'EXPLAIN SELECT 1']);
    expect(explain.status).toBe(0);
    expect(explain.stdout).toMatch(/Result/);
  });
});

describe('wxlog query on PostgreSQL, more rows than one fetch', () => {
  const ENTRIES = 2500;
  const t0 = now() - 4 * 3600;
  // Entries of every shape the formats must treat alike: Chinese, nested JSON, NULLs, a bytea/BLOB fingerprint.
  const entries = Array.from({ length: ENTRIES }, (_, i) => {
    const t = t0 + i;
    const extra = i % 5 === 0 ? { url: undefined } : { url: `pages/p${i % 9}/p${i % 9}` };
    return served(
      t,
      `trace-${String(i).padStart(4, '0')}`,
      [
        {
          time: t,
          level: [2, 4, 8][i % 3]!,
          msg: [`第 ${i} 条 网络请求失败`, { i, ok: i % 2 === 0, 值: [1.5, null] }],
        },
      ],
      extra,
    );
  });
  const sql = `SELECT e.traceid, e.timestamp, e.level, e.url, e.msg, e.fingerprint, m.seq, m.text
    FROM log_entries e JOIN log_messages m ON m.entry_id = e.id ORDER BY e.timestamp, m.seq`;

  it('prints 2,500 rows complete, in order, and exactly as SQLite prints the same entries, in every format', async () => {
    const url = await freshDatabase();
    const path = join(tempDir(), 'wxlog.db');
    for (const db of [url, path]) {
      await fillEngine(db, async (store) => {
        for (let i = 0; i < ENTRIES; i += 500) await store.savePage(APP_A, '', entries.slice(i, i + 500), t0);
      });
    }
    for (const format of ['csv', 'json', 'ndjson', 'table']) {
      const [onPostgres, onSqlite] = await Promise.all([
        cli(url, ['query', '--format', format, sql]),
        cli(path, ['query', '--format', format, sql]),
      ]);
      expect(onPostgres.stderr, format).toBe('');
      expect(onPostgres.status, format).toBe(0);
      expect(onSqlite.status, format).toBe(0);
      expect(onPostgres.stdout, format).toBe(onSqlite.stdout);
    }
    const rows = (await cli(url, ['query', '--format', 'ndjson', sql])).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows).toHaveLength(ENTRIES);
    rows.forEach((row, i) => {
      const e = entries[i]!;
      expect(row).toEqual({
        traceid: e.traceid,
        timestamp: e.timestamp,
        level: e.level,
        url: e.url,
        msg: JSON.stringify(e.msg),
        fingerprint: entryFingerprint(e.raw).toString('hex'),
        seq: 0,
        text: messageText(e.messages[0]!.args),
      });
    });
  }, 120_000);

  it('prints the rows read before a row the server fails on, then the one-line error, exit 2', async () => {
    const url = await freshDatabase();
    const failing = 'SELECT CASE WHEN i <= 1000 THEN i ELSE 1 / (i - i) END AS i FROM generate_series(1, 2500) AS g(i)';
    const csv = await cli(url, ['query', '--format', 'csv', failing]);
    expect(csv.stderr).toBe('wxlog query: division by zero\n');
    expect(csv.status).toBe(2);
    expect(csv.stdout).toBe(`i\r\n${Array.from({ length: 1000 }, (_, k) => `${k + 1}\r\n`).join('')}`);
    // The table measures its columns first: nothing of it is printed.
    const table = await cli(url, ['query', failing]);
    expect(table.stderr).toBe('wxlog query: division by zero\n');
    expect(table.status).toBe(2);
    expect(table.stdout).toBe('');
  });
});

describe('wxlog scenes on PostgreSQL and SQLite', () => {
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it("stores and prints the simulator's scene list, field by field and in its order, the same on both engines", async () => {
    const s = (sim = await startSimulator({ perDay: 10 }));
    const url = await freshDatabase();
    const dir = tempDir();
    const onPostgres = simulatorEnv(s, dir, { WXLOG_DB: url });
    const onSqlite = simulatorEnv(s, dir);
    const lines = SIMULATED_SCENES.map((scene) => `${scene.value}\t${scene.name}\n`).join('');
    const json = `${JSON.stringify(SIMULATED_SCENES.map((scene) => ({ name: scene.name, value: String(scene.value) })))}\n`;
    for (const env of [onPostgres, onSqlite]) {
      // Twice: the second run replaces the list rather than adding to it.
      for (let run = 0; run < 2; run++) {
        const text = await runCli(['scenes'], env);
        expect(text.stderr).toBe('');
        expect(text.status).toBe(0);
        expect(text.stdout).toBe(lines);
        const asJson = await runCli(['scenes', '--json'], env);
        expect(asJson.status).toBe(0);
        expect(asJson.stdout).toBe(json);
      }
    }
    const appid = s.options.appid;
    const stored = async (db: string, order: string) =>
      JSON.parse(
        (await cli(db, ['query', '--format', 'json', `SELECT appid, value, name FROM scenes ORDER BY ${order}`]))
          .stdout,
      ) as unknown;
    const expected = SIMULATED_SCENES.map((scene) => ({ appid, value: String(scene.value), name: scene.name }));
    expect(await stored(url, 'position')).toEqual(expected);
    expect(await stored(onSqlite.WXLOG_DB!, 'rowid')).toEqual(expected);
    // Each of the eight asked the simulator once.
    expect(s.stats.sceneRequests).toBe(8);
  }, 120_000);

  it('names an unreachable server with its password masked, exit 2, before asking WeChat', async () => {
    const s = (sim = await startSimulator({ perDay: 10 }));
    const unreachable = new URL(await freshDatabase());
    unreachable.port = '1';
    const r = await runCli(['scenes'], simulatorEnv(s, tempDir(), { WXLOG_DB: unreachable.toString() }));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^wxlog scenes: cannot open postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/\w+: .*\n$/);
    expect(r.stderr).not.toContain(PASSWORD);
    expect(r.stdout).toBe('');
    expect(s.stats.sceneRequests).toBe(0);
  });
});

describe('wxlog search on PostgreSQL', () => {
  it('finds 请求失败 in 网络请求失败, newest first, with --level, --limit, --app and --json', async () => {
    const url = await freshDatabase();
    const t = now() - 7200;
    await fill(url, async (store) => {
      await store.savePage(
        APP_A,
        '',
        [
          served(t, 'old', [{ time: t, level: 2, msg: ['网络请求失败 500'] }]),
          served(t + 60, 'new', [{ time: t + 60, level: 8, msg: ['网络请求失败 404', { url: '/api' }] }]),
          served(t + 120, 'other', [{ time: t + 120, level: 8, msg: ['一切正常'] }]),
        ],
        t,
      );
      await store.savePage(APP_B, '', [served(t + 30, 'b', [{ time: t + 30, level: 4, msg: ['请求失败了'] }])], t);
    });
    const all = await cli(url, ['search', '请求失败']);
    expect(all.status).toBe(0);
    const lines = all.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(new RegExp(`ERROR ${APP_A} pages/index/index trace=new 网络请求失败 404`));
    expect(lines[1]).toMatch(new RegExp(`WARN  ${APP_B} pages/index/index trace=b 请求失败了`));
    expect(lines[2]).toMatch(/trace=old 网络请求失败 500$/);

    const errors = await cli(url, ['search', '--level', 'error', '--app', APP_A, '请求失败']);
    expect(errors.stdout.trim().split('\n')).toHaveLength(1);
    expect(errors.stdout).toMatch(/ERROR pages\/index\/index trace=new/);

    const limited = await cli(url, ['search', '--limit', '1', '--json', '请求失败']);
    const hit = JSON.parse(limited.stdout) as Record<string, unknown>;
    expect(hit).toMatchObject({ appid: APP_A, traceid: 'new', level: 8, level_name: 'error', time: t + 60 });
    expect(hit.args).toEqual(['网络请求失败 404', { url: '/api' }]);

    const none = await cli(url, ['search', '--app', 'wxnotthere', '请求失败']);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/does not hold wxnotthere; it holds 2 apps/);
    expect(none.stderr).not.toContain(PASSWORD);
  });
});

describe('wxlog status on PostgreSQL', () => {
  it('lists two apps, then the day table of one', async () => {
    const url = await freshDatabase();
    const nowSeconds = now();
    const [today, yesterday] = recentCstDays(nowSeconds, 2).reverse() as [string, string];
    await fill(url, async (store) => {
      for (const appid of [APP_A, APP_B]) {
        await store.apps.seen(appid, nowSeconds - 600);
        const { begin, end } = cstDayBounds(yesterday);
        const root = await store.windows.dayRoot(appid, '', yesterday, begin, end);
        await store.savePage(
          appid,
          '',
          [served(begin + 10, 't1', [{ time: begin + 10, level: 2, msg: ['x'] }])],
          begin,
        );
        await store.windows.recordCheck(root.id, {
          status: 'complete',
          serverTotal: 1,
          storedCount: 1,
          at: nowSeconds - 500,
        });
        const todayBounds = cstDayBounds(today);
        const todayRoot = await store.windows.dayRoot(appid, '', today, todayBounds.begin, todayBounds.end);
        await store.windows.recordCheck(todayRoot.id, {
          status: 'complete',
          serverTotal: 0,
          storedCount: 0,
          at: nowSeconds - 500,
        });
      }
      const ok = await store.runs.start('run', APP_A, 1, nowSeconds - 600, 'host-a:1');
      await store.runs.finishRun(ok, nowSeconds - 590, record(0, null));
      await store.apps.finished(APP_A, nowSeconds - 600, 0, null);
      const failed = await store.runs.start('run', APP_B, 2, nowSeconds - 300, 'host-b:2');
      await store.runs.finishRun(failed, nowSeconds - 290, record(3, 'errcode 40001: invalid credential'));
      await store.apps.finished(APP_B, nowSeconds - 300, 3, 'errcode 40001: invalid credential');
    });
    const env = { WXLOG_LOOKBACK_DAYS: '2' };
    const apps = await cli(url, ['status'], env);
    expect(apps.stderr).toBe('');
    expect(apps.status).toBe(0);
    expect(apps.stdout).toContain(`2 apps in ${url.replace(PASSWORD, '***')}`);
    const rows = apps.stdout.split('\n').filter((l) => l.startsWith('wx'));
    expect(rows[0]).toMatch(new RegExp(`^${APP_B}\\W+failing\\W+2/2\\W+1\\W.*errcode 40001: invalid credential`));
    expect(rows[1]).toMatch(new RegExp(`^${APP_A}\\W+ok\\W+2/2\\W+1\\W`));
    expect(apps.stdout).toContain('1 failing, 1 ok.');

    const one = await cli(url, ['status', '--app', APP_A], env);
    expect(one.status).toBe(0);
    expect(one.stdout).toMatch(/Coverage of wxaaaaaaaaaaaaaaaa/);
    expect(one.stdout).toMatch(
      new RegExp(
        `${yesterday.slice(0, 4)}-${yesterday.slice(4, 6)}-${yesterday.slice(6)}[ |]+complete[ |]+1[ |]+0[ |]+1[ |]+1 `,
      ),
    );
    expect(one.stdout).toMatch(/Last runs:\n.*\n.*\n.*run[ |]+10s[ |]+0[ |]+3[ |]+2[ |]+0 /);

    const json = JSON.parse((await cli(url, ['status', '--json'], env)).stdout) as {
      apps: { appid: string; state: string }[];
    };
    expect(json.apps.map((a) => [a.appid, a.state])).toEqual([
      [APP_B, 'failing'],
      [APP_A, 'ok'],
    ]);
  });
});

describe('wxlog status of unfinished runs on PostgreSQL', () => {
  it("shows a run as running while its worker holds the app's lease, else as interrupted", async () => {
    const url = await freshDatabase();
    const nowSeconds = now();
    await fill(url, async (store) => {
      for (const [appid, worker] of [
        [APP_A, 'host-a:11'],
        [APP_B, 'host-b:22'],
      ] as const) {
        await store.apps.seen(appid, nowSeconds - 60);
        await store.runs.start('daemon', appid, 1, nowSeconds - 60, worker);
      }
      // APP_A's worker holds its lease; APP_B's worker was SIGKILLed and holds none.
      expect(await store.leases.tryLease('host-a:11', [APP_A], 60_000)).toHaveLength(1);
    });
    const r = await cli(url, ['status', '--json']);
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as {
      apps: { appid: string; state: string }[];
      runs: { appid: string; state: string }[];
    };
    expect(json.apps.map((a) => [a.appid, a.state])).toEqual([
      [APP_B, 'interrupted'],
      [APP_A, 'running'],
    ]);
    expect(Object.fromEntries(json.runs.map((run) => [run.appid, run.state]))).toEqual({
      [APP_A]: 'running',
      [APP_B]: 'interrupted',
    });
  });

  it('shows the run of a SIGKILLed container as interrupted once its restart, of the same host:pid, runs the app', async () => {
    // A container's process is pid 1 and a restart keeps the pod's hostname: the new process has the old one's name.
    const url = await freshDatabase();
    const nowSeconds = now();
    await fill(url, async (store) => {
      await store.apps.seen(APP_A, nowSeconds - 120);
      const dead = await store.runs.start('daemon', APP_A, 1, nowSeconds - 120, 'wxlog-0:1');
      expect(await store.leases.tryLease('wxlog-0:1', [APP_A], 1)).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      // The restart takes the app over (the old lease expired) and starts its own run.
      expect(await store.leases.tryLease('wxlog-0:1', [APP_A], 60_000)).toMatchObject([{ epoch: 2 }]);
      const live = await store.runs.start('daemon', APP_A, 1, nowSeconds - 5, 'wxlog-0:1');
      expect(live).toBeGreaterThan(dead);
    });
    const r = await cli(url, ['status', '--json']);
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as { runs: { startedAt: number; state: string }[] };
    expect(json.runs.map((run) => [run.startedAt, run.state])).toEqual([
      [nowSeconds - 5, 'running'],
      [nowSeconds - 120, 'interrupted'],
    ]);
  });
});

describe('wxlog prune on PostgreSQL', () => {
  it('drops the month partitions older than the cut and deletes the older rows of the month it falls in', async () => {
    const url = await freshDatabase();
    const nowSeconds = now();
    const old = nowSeconds - 100 * DAY;
    const partial = nowSeconds - 45 * DAY;
    const recent = nowSeconds - DAY;
    await fill(url, (store) =>
      store.savePage(
        APP_A,
        '',
        [old, partial, recent].map((t) => served(t, `t${t}`, [{ time: t, level: 2, msg: ['m'] }])),
        recent,
      ),
    );
    const parts = async (): Promise<string[]> => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ relname: string }>(
          "SELECT relname FROM pg_class WHERE relname ~ '^log_(entries|messages)_p' ORDER BY relname",
        );
        return rows.map((r) => r.relname);
      } finally {
        await client.end();
      }
    };
    const monthOf = (t: number): string => {
      const d = new Date((t + 8 * 3600) * 1000);
      return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
    };
    expect(await parts()).toContain(`log_entries_p${monthOf(old)}`);

    const dry = await cli(url, ['prune', '--older-than', '30', '--dry-run']);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toMatch(/would remove 2 entries, 2 messages, 0 coverage windows/);

    const r = await cli(url, ['prune', '--older-than', '30']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /removed 2 entries, 2 messages, 0 coverage windows logged before .* CST \(dropped .*log_messages_p/,
    );
    expect(r.stdout).toContain(`log_entries_p${monthOf(old)}`);
    expect(r.stdout).toMatch(/the database went from/);
    const left = await parts();
    expect(left).not.toContain(`log_entries_p${monthOf(old)}`);
    expect(left).not.toContain(`log_messages_p${monthOf(old)}`);
    expect(left).toContain(`log_entries_p${monthOf(recent)}`);
    const count = await cli(url, ['query', '--format', 'csv', 'SELECT timestamp FROM log_entries']);
    expect(count.stdout).toBe(`timestamp\r\n${recent}\r\n`);
  });
});

describe('a PostgreSQL URL with a password', () => {
  it('never shows the password, not even when the server cannot be reached', async () => {
    const url = await freshDatabase();
    const wrongPort = new URL(url);
    wrongPort.port = '1';
    const runs: [string, string[]][] = [];
    for (const target of [url, wrongPort.toString()]) {
      for (const args of [
        ['query', 'SELECT 1'],
        ['query', 'SELECT * FROM nowhere'],
        ['search', '请求失败'],
        ['status'],
        ['status', '--app', 'wxnotthere'],
        ['prune', '--older-than', '30'],
        ['prune', '--older-than', '30', '--dry-run'],
      ]) {
        runs.push([target, args]);
      }
    }
    const results = await Promise.all(runs.map(([target, args]) => cli(target, args, { WXLOG_LOG_LEVEL: 'debug' })));
    for (const [i, r] of results.entries()) {
      const [target, args] = runs[i]!;
      expect(`${r.stdout}${r.stderr}`, args.join(' ')).not.toContain(PASSWORD);
      if (target !== url) {
        expect(r.status, args.join(' ')).toBe(2);
        expect(r.stderr).toMatch(/^wxlog \w+: cannot open postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/\w+: .*\n$/);
      }
    }
    const help = await runCli(['status', '--help'], { WXLOG_DB: url });
    expect(help.stdout).not.toContain(PASSWORD);
    const mysql = await runCli(['status'], { WXLOG_DB: `mysql://root:${PASSWORD}@127.0.0.1/wxlog` });
    expect(mysql.status).toBe(2);
    expect(mysql.stderr).toBe(
      'wxlog status: WXLOG_DB: mysql:// URLs are not supported; wxlog stores into SQLite (a file path) or PostgreSQL (a postgres:// or postgresql:// URL)\n',
    );
  });

  it('refuses a schema newer than this wxlog in every read command, exit 2, pruning nothing', async () => {
    const url = await freshDatabase();
    await fill(url, (store) => store.savePage(APP_A, '', [served(now() - 90 * DAY, 'old', [])], now()));
    await fill(url, (store) =>
      store.pool.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)"),
    );
    const known = loadPostgresMigrations().length;
    for (const args of [['status'], ['query', 'SELECT 1'], ['search', 'x'], ['prune', '--older-than', '30']]) {
      const r = await cli(url, args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr).toBe(
        `wxlog ${args[0]}: the database's schema is version 99, newer than this wxlog (knows ${known}): upgrade wxlog\n`,
      );
    }
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM log_entries');
      expect(rows).toEqual([{ n: '1' }]);
    } finally {
      await client.end();
    }
  });
});
