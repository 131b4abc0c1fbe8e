import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/simulator.js';
import { pgExactProblems } from '../helpers/pg-rows.js';
import { startPostgresServer, type PostgresServer } from '../helpers/postgres-server.js';
import { servedEntries } from '../helpers/served-rows.js';
import { tempDir } from '../helpers/temp-dir.js';
import { runCli, simulatorEnv } from './run-cli.js';

// The shared test server trusts loopback connections. Outside a test PostgreSQL asks for a password, over
// SCRAM-SHA-256 by default: this server does, so that the CLI as it ships (its bundled pg loads Node's crypto
// only when a server asks, scripts/bundle.ts) is seen to authenticate, and to say so when it cannot.
// The password holds the characters a URL must escape, and one SASLprep leaves as it is.
const PASSWORD = 'pä@ss/w:rd#1';

let server: PostgresServer;
let sim: Simulator;
beforeAll(async () => {
  server = await startPostgresServer({ password: PASSWORD });
  sim = await startSimulator({ perDay: 30 });
}, 60_000);
afterAll(async () => {
  await sim?.close();
  await server?.stop();
});

function withPassword(password: string): string {
  const url = new URL(server.url);
  url.password = password;
  return url.href;
}

const shown = (text: string): boolean =>
  text.includes(PASSWORD) || text.includes(encodeURIComponent(PASSWORD)) || text.includes(new URL(server.url).password);

describe('a PostgreSQL server that asks for a password (SCRAM-SHA-256)', () => {
  it('lets every kind of command in with the right one: export, read, query', async () => {
    const env = simulatorEnv(sim, tempDir(), { WXLOG_DB: server.url, WXLOG_LOG_LEVEL: 'warn' });
    const migrate = await runCli(['migrate'], env);
    expect(migrate.stderr).toBe('');
    expect(migrate.status).toBe(0);
    const run = await runCli(['run'], env);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(await pgExactProblems(server.url, sim, sim.options.appid)).toEqual([]);
    const count = await runCli(['query', '--format', 'csv', 'SELECT count(*) AS n FROM log_entries'], env);
    expect(count.status).toBe(0);
    expect(count.stdout).toBe(`n\r\n${servedEntries(sim)}\r\n`);
    for (const args of [['status'], ['search', '请求']]) {
      const r = await runCli(args, env);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.status, args.join(' ')).toBe(0);
      expect(shown(r.stdout), args.join(' ')).toBe(false);
    }
  }, 120_000);

  // node-postgres also reads the password from the URL's query, where the user info's masking did not reach.
  const inQuery = (password: string): string => {
    const url = new URL(server.url);
    url.password = '';
    url.searchParams.set('password', password);
    return url.href;
  };

  it('takes the password from the query (?password=) and never shows it', async () => {
    const env = simulatorEnv(sim, tempDir(), { WXLOG_DB: inQuery(PASSWORD), WXLOG_LOG_LEVEL: 'warn' });
    for (const args of [['migrate'], ['status'], ['query', 'SELECT 1 AS one']]) {
      const r = await runCli(args, env);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.status, args.join(' ')).toBe(0);
      expect(shown(r.stdout), args.join(' ')).toBe(false);
    }
  }, 60_000);

  // A wrong password in the user info, or in the query: the URL as shown, with the password masked.
  const wrongPasswords = [
    {
      where: 'the user info',
      password: 'not-the-password',
      url: () => withPassword('not-the-password'),
      shownAs: () => `postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${server.port}/postgres`,
    },
    {
      where: 'the query',
      password: 'Sup3rSecretQP',
      url: () => inQuery('Sup3rSecretQP'),
      shownAs: () => `postgres://postgres@127\\.0\\.0\\.1:${server.port}/postgres\\?password=\\*\\*\\*`,
    },
  ];
  const commands = [['migrate'], ['query', 'SELECT 1'], ['status'], ['search', '请求']];

  it.each(wrongPasswords.flatMap((w) => commands.map((args) => ({ ...w, args, command: args.join(' ') }))))(
    'wxlog $command with a wrong password in $where: exit 2, one line naming the database and the failure, never a password',
    async ({ args, password, url, shownAs }) => {
      const r = await runCli(args, { WXLOG_DB: url(), WXLOG_APPID: 'wxaaaaaaaaaaaaaaaa', WXLOG_SECRET: 'x' });
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^wxlog ${args[0]}: .*${shownAs()}.*password authentication failed.*\\n$`));
      expect(r.stderr).not.toContain(password);
      expect(shown(r.stderr)).toBe(false);
    },
    30_000,
  );
});
