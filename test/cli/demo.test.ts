import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';
import { runCli } from './run-cli.js';

function dayRows(stdout: string): { stored: number; total: number }[] {
  return [...stdout.matchAll(/^\s+\d{8}\s+\d+\/\d+\s+(\d+)\s+(\d+)$/gm)].map((m) => ({
    stored: Number(m[1]),
    total: Number(m[2]),
  }));
}

describe('wxlog demo (subprocess)', () => {
  it('starts a fresh file each time, so another --per-day or --seed never mixes with the last demo', async () => {
    const dir = tempDir();
    const first = await runCli(['demo', '--per-day', '120'], {}, dir);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('into a new data/demo.db');
    const second = await runCli(['demo', '--per-day', '50', '--seed', '7'], {}, dir);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain('into a fresh data/demo.db (the previous demo database was removed)');
    const days = dayRows(second.stdout);
    expect(days.length).toBe(7);
    for (const day of days) expect(day.stored).toBe(day.total);
    const db = new BetterSqlite3(join(dir, 'data', 'demo.db'), { readonly: true });
    const runs = db.prepare('SELECT count(*) AS n FROM runs').get() as { n: number };
    db.close();
    expect(runs.n).toBe(1);
  }, 30_000);

  it('--apps N plays a platform: an apps file, tokens from the token service, one runs row per app, status per app', async () => {
    const dir = tempDir();
    const result = await runCli(['demo', '--apps', '4', '--per-day', '20'], {}, dir);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^wxlog demo: complete: 4 apps, 28\/28 windows complete, /m);
    const listed = readFileSync(join(dir, 'data', 'demo.apps'), 'utf8')
      .split('\n')
      .filter((l) => /^wx[0-9a-f]{16}$/.test(l));
    expect(listed).toHaveLength(4);
    const db = new BetterSqlite3(join(dir, 'data', 'demo.db'), { readonly: true });
    const runs = db.prepare('SELECT appid FROM runs ORDER BY appid').all() as { appid: string }[];
    const apps = db.prepare('SELECT appid, last_exit AS lastExit FROM apps ORDER BY appid').all();
    db.close();
    expect(runs.map((r) => r.appid)).toEqual([...listed].sort());
    expect(apps).toEqual([...listed].sort().map((appid) => ({ appid, lastExit: 0 })));
    const status = await runCli(['status', '--db', join(dir, 'data', 'demo.db')], {}, dir);
    expect(status.status).toBe(0);
    for (const appid of listed) expect(status.stdout).toMatch(new RegExp(`^${appid} +\\| ok +\\| 7/7 `, 'm'));
  }, 30_000);

  it('never replaces a file that holds more than demo runs', async () => {
    const dir = tempDir();
    const path = join(dir, 'wxlog.db');
    expect((await runCli(['migrate', '--db', path])).status).toBe(0);
    const db = new BetterSqlite3(path);
    db.prepare("INSERT INTO runs (command, appid, pid, started_at) VALUES ('run', 'wx1', 1, 1)").run();
    db.close();
    const result = await runCli(['demo', '--db', path], {}, dir);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `wxlog demo: ${path} holds runs of run, not only a demo: the demo starts a fresh file, so give it another --db\n`,
    );
    expect(existsSync(path)).toBe(true);
  });
});
