import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import type { Config } from '../../src/config/config-schema.js';
import { configSecrets } from '../../src/config/config-secrets.js';
import { loadApps } from '../../src/config/load-apps.js';
import { loadConfig, type LoadPurpose } from '../../src/config/load-config.js';

let dir: string;
let fileCount = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wxlog-apps-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes a file into the temp dir and returns its name relative to it. */
function write(content: unknown, ext = 'json'): string {
  fileCount += 1;
  const name = `file-${fileCount}.${ext}`;
  writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return name;
}

function load(env: Record<string, string | undefined>, file?: unknown, purpose: LoadPurpose = 'upstream'): Config {
  return loadConfig({ env, cwd: dir, ...(file === undefined ? {} : { configFile: write(file) }) }, purpose);
}

function refusal(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e: unknown) {
    expect(e).toBeInstanceOf(ConfigError);
    const error = e as ConfigError;
    expect(error.message).not.toContain('\n');
    return error;
  }
  throw new Error('expected a ConfigError, but the config loaded');
}

/** Loads `file` (an object of settings) and returns the refusal, with the file's name to compare against. */
function fileRefusal(file: unknown, env: Record<string, string> = {}, purpose: LoadPurpose = 'upstream') {
  const name = write(file);
  const error = refusal(() => loadConfig({ env, cwd: dir, configFile: name }, purpose));
  return { error, name };
}

const A = 'wxaaaaaaaaaaaaaaaa';
const B = 'wxbbbbbbbbbbbbbbbb';
const C = 'wxcccccccccccccccc';
const SECRET = 'S3cretOfTheAppValue';
const TOKEN = 'ACCESS_TOKEN_ABC_123';
const TOKEN_URL = 'https://tokens.example.com/token?appid={appid}&key=K3yOfTheService';
const COMMAND = 'get-token --vault-key V4ultKey';

describe('the one-app form', () => {
  it('is one app of the top-level settings, the existing fields unchanged', () => {
    const config = load({ WXLOG_APPID: A, WXLOG_SECRET: SECRET, WXLOG_CALLS_PER_MINUTE: '30', WXLOG_LEVEL: 'warn' });
    expect(config).toMatchObject({ appid: A, secret: SECRET, tokenMode: 'stable', callsPerMinute: 30 });
    expect(config.apps).toEqual([
      {
        appid: A,
        tokenMode: 'stable',
        secret: SECRET,
        callsPerMinute: 30,
        lookbackDays: 7,
        pageSize: 1000,
        filters: { level: 4 },
        origin: 'WXLOG_APPID',
      },
    ]);
    expect(config.concurrency).toBe(32);
    expect(config.appsFile).toBeUndefined();
    expect(config.metricsAddr).toBeUndefined();
  });

  it('gets its token from WXLOG_TOKEN_URL or WXLOG_TOKEN_COMMAND, which imply their modes', () => {
    const url = load({ WXLOG_APPID: A, WXLOG_TOKEN_URL: TOKEN_URL, WXLOG_SECRET: SECRET });
    expect(url.tokenMode).toBe('url');
    expect(url.tokenUrl).toBe(TOKEN_URL);
    expect(url.apps[0]).toMatchObject({ tokenMode: 'url', tokenUrl: TOKEN_URL });
    expect(url.apps[0]?.secret).toBeUndefined();
    const command = load({ WXLOG_APPID: A, WXLOG_TOKEN_COMMAND: COMMAND });
    expect(command.tokenMode).toBe('command');
    expect(command.apps[0]).toMatchObject({ tokenMode: 'command', tokenCommand: COMMAND });
    // accessToken is the most specific of all.
    expect(load({ WXLOG_APPID: A, WXLOG_TOKEN_URL: TOKEN_URL, WXLOG_ACCESS_TOKEN: TOKEN }).tokenMode).toBe('static');
  });

  it('follows a token mode given explicitly over the credentials', () => {
    const config = load({
      WXLOG_APPID: A,
      WXLOG_TOKEN_MODE: 'stable',
      WXLOG_TOKEN_URL: TOKEN_URL,
      WXLOG_SECRET: SECRET,
    });
    expect(config.tokenMode).toBe('stable');
    expect(config.apps[0]).toMatchObject({ tokenMode: 'stable', secret: SECRET });
  });

  it('names the variable a url or command mode lacks', () => {
    const url = refusal(() => load({ WXLOG_APPID: A, WXLOG_TOKEN_MODE: 'url', WXLOG_SECRET: SECRET }));
    expect(url.setting).toBe('WXLOG_TOKEN_URL');
    expect(url.message).toBe(
      'WXLOG_TOKEN_URL: required because WXLOG_TOKEN_MODE is "url"; set it or "tokenUrl" in the config file',
    );
    const command = refusal(() => load({ WXLOG_APPID: A }, { tokenMode: 'command' }));
    expect(command.setting).toBe('WXLOG_TOKEN_COMMAND');
    expect(command.message).toContain('because tokenMode in ');
  });

  it('cannot be combined with apps or an apps file', () => {
    const withApps = fileRefusal({ apps: [{ appid: B, secret: SECRET }] }, { WXLOG_APPID: A });
    expect(withApps.error.setting).toBe('WXLOG_APPID');
    expect(withApps.error.message).toBe(
      `WXLOG_APPID: the one-app form cannot be combined with apps in ${withApps.name} (many apps); list this app there instead`,
    );
    const withFile = refusal(() => load({ WXLOG_APPID: A, WXLOG_SECRET: SECRET, WXLOG_APPS_FILE: write(B, 'txt') }));
    expect(withFile.message).toContain('WXLOG_APPID: the one-app form cannot be combined with WXLOG_APPS_FILE');
    const inFile = fileRefusal({ appid: A, secret: SECRET, apps: [{ appid: B }] });
    expect(inFile.error.setting).toBe('appid');
    expect(inFile.error.message).toContain(`appid in ${inFile.name}: the one-app form cannot be combined with apps in`);
  });
});

describe('apps in the config file', () => {
  it('resolves each app over the top-level defaults, its own values winning', () => {
    const config = load(
      { WXLOG_CALLS_PER_MINUTE: '20', WXLOG_SECRET: SECRET },
      {
        lookbackDays: 14,
        pageSize: 500,
        filters: { level: 'warn', url: 'pages/pay/pay' },
        apps: [
          { appid: A },
          { appid: B, callsPerMinute: 49, lookbackDays: 30, pageSize: 100, filters: { traceId: 't1' } },
          { appid: C, filters: {} },
        ],
      },
    );
    expect(config.appid).toBe('');
    expect(config.apps.map((app) => app.appid)).toEqual([A, B, C]);
    expect(config.apps[0]).toMatchObject({ callsPerMinute: 20, lookbackDays: 14, pageSize: 500, secret: SECRET });
    expect(config.apps[0]?.filters).toEqual({ level: 4, url: 'pages/pay/pay' });
    // An app's filters replace the top-level ones as a whole.
    expect(config.apps[1]).toMatchObject({
      callsPerMinute: 49,
      lookbackDays: 30,
      pageSize: 100,
      filters: { traceId: 't1' },
    });
    expect(config.apps[2]?.filters).toEqual({});
    expect(config.apps[1]?.origin).toMatch(/^apps\[1\] in file-\d+\.json$/);
  });

  it('leaves out apps with "enabled": false', () => {
    const config = load(
      { WXLOG_SECRET: SECRET },
      {
        apps: [
          { appid: A, enabled: false },
          { appid: B, enabled: true },
        ],
      },
    );
    expect(config.apps.map((app) => app.appid)).toEqual([B]);
  });

  it('refuses an unknown key of an app, suggesting the real one', () => {
    const apps = [{ appid: A }, { appid: B }, { appid: C }, { appid: 'wxdddddddddddddddd', pagesize: 100 }];
    const { error, name } = fileRefusal({ secret: SECRET, apps });
    expect(error.setting).toBe('apps[3].pagesize');
    expect(error.message).toBe(`apps[3].pagesize in ${name}: unknown setting; did you mean "pageSize"?`);
    expect(fileRefusal({ apps: [{ appid: A, url: 'pages/a' }] }).error.message).toContain('apps[0].url in file-');
    expect(fileRefusal({ apps: [{ appid: A, url: 'pages/a' }] }).error.message).toContain(
      'did you mean "url" inside "filters"?',
    );
    const nested = fileRefusal({ apps: [{ appid: A, filters: { levle: 4 } }] }).error;
    expect(nested.setting).toBe('apps[0].filters.levle');
    expect(nested.message).toContain('did you mean "level" inside "filters"?');
    expect(fileRefusal({ apps: [{ appid: A, schedule: '* * * * *' }] }).error.message).toMatch(
      /^apps\[0\]\.schedule in file-\d+\.json: unknown setting; see docs\/configuration.md for the settings$/,
    );
  });

  it('refuses a bad value of an app, naming the key, the file and the value', () => {
    const { error, name } = fileRefusal({ secret: SECRET, apps: [{ appid: A }, { appid: B, callsPerMinute: 50 }] });
    expect(error.setting).toBe('apps[1].callsPerMinute');
    expect(error.message).toBe(
      `apps[1].callsPerMinute in ${name}: must be an integer from 1 to 49 (WeChat allows 50 a minute), got 50`,
    );
    expect(fileRefusal({ apps: [{ appid: A, callsPerMinute: 0 }] }).error.setting).toBe('apps[0].callsPerMinute');
    expect(fileRefusal({ apps: [{ appid: A, tokenMode: 'oauth' }] }).error.message).toContain(
      'must be "stable", "classic", "static", "url" or "command", got "oauth"',
    );
    expect(fileRefusal({ apps: [{ appid: A, enabled: 'no' }] }).error.message).toContain('apps[0].enabled in file-');
    expect(fileRefusal({ apps: [{ appid: A, lookbackDays: 31 }] }).error.message).toContain(
      'must be an integer from 1 to 30',
    );
  });

  it('refuses an app without an appid, and apps that are not an array of objects', () => {
    const missing = fileRefusal({ apps: [{ secret: SECRET }] }).error;
    expect(missing.setting).toBe('apps[0].appid');
    expect(missing.message).toMatch(
      /^apps\[0\]\.appid in file-\d+\.json: must be the AppID without spaces.*\(required\)$/,
    );
    expect(fileRefusal({ apps: {} }).error.message).toContain('apps in file-');
    expect(fileRefusal({ apps: {} }).error.message).toContain('must be an array of apps');
    expect(fileRefusal({ apps: ['wx1'] }).error.message).toContain('apps[0] in file-');
    expect(fileRefusal({ apps: ['wx1'] }).error.message).toContain('must be an object with at least "appid"');
  });

  it('refuses an AppID listed twice, naming both places', () => {
    const { error, name } = fileRefusal({
      secret: SECRET,
      apps: [{ appid: A }, { appid: B }, { appid: A, enabled: false }],
    });
    expect(error.setting).toBe('apps[2]');
    expect(error.message).toBe(
      `apps[2] in ${name}: app ${A} is listed twice, also at apps[0] in ${name}; keep one of them`,
    );
  });

  it('needs at least one enabled app to talk to WeChat', () => {
    expect(fileRefusal({ apps: [] }).error.message).toMatch(/^apps in file-\d+\.json: no enabled app to export/);
    expect(fileRefusal({ secret: SECRET, apps: [{ appid: A, enabled: false }] }).error.setting).toBe('apps');
    const none = refusal(() => load({}));
    expect(none.setting).toBe('WXLOG_APPID');
    expect(none.message).toContain('WXLOG_APPID: required to talk to WeChat');
    expect(none.message).toBe('WXLOG_APPID: required to talk to WeChat; set it or "appid" in the config file');
  });
});

describe('the token mode of an app', () => {
  const modeOf = (app: Record<string, unknown>, env: Record<string, string> = {}, top: object = {}) =>
    load(env, { ...top, apps: [{ appid: A, ...app }] }).apps[0];

  it('follows its own most specific credential: accessToken, tokenUrl, tokenCommand, secret', () => {
    const all = { accessToken: TOKEN, tokenUrl: TOKEN_URL, tokenCommand: COMMAND, secret: SECRET };
    expect(modeOf(all)).toMatchObject({ tokenMode: 'static', accessToken: TOKEN });
    expect(modeOf({ ...all, accessToken: undefined })).toMatchObject({ tokenMode: 'url', tokenUrl: TOKEN_URL });
    expect(modeOf({ tokenCommand: COMMAND, secret: SECRET })).toMatchObject({
      tokenMode: 'command',
      tokenCommand: COMMAND,
    });
    expect(modeOf({ secret: SECRET })).toMatchObject({ tokenMode: 'stable', secret: SECRET });
  });

  it('prefers its own secret to a top-level token service', () => {
    const app = modeOf({ secret: SECRET }, { WXLOG_TOKEN_URL: TOKEN_URL });
    expect(app).toMatchObject({ tokenMode: 'stable', secret: SECRET });
    // Only the credential of its mode travels with it.
    expect(app?.tokenUrl).toBeUndefined();
  });

  it('keeps a top-level "classic" for its own secret', () => {
    expect(modeOf({ secret: SECRET }, { WXLOG_TOKEN_MODE: 'classic' })?.tokenMode).toBe('classic');
  });

  it('falls back to the top-level credentials in the same order', () => {
    expect(modeOf({}, { WXLOG_ACCESS_TOKEN: TOKEN, WXLOG_TOKEN_URL: TOKEN_URL })).toMatchObject({
      tokenMode: 'static',
      accessToken: TOKEN,
    });
    expect(modeOf({}, { WXLOG_TOKEN_URL: TOKEN_URL, WXLOG_SECRET: SECRET })).toMatchObject({
      tokenMode: 'url',
      tokenUrl: TOKEN_URL,
    });
    expect(modeOf({}, { WXLOG_TOKEN_COMMAND: COMMAND, WXLOG_SECRET: SECRET })?.tokenMode).toBe('command');
    expect(modeOf({}, { WXLOG_SECRET: SECRET })).toMatchObject({ tokenMode: 'stable', secret: SECRET });
    expect(modeOf({}, {}, { tokenCommand: COMMAND })?.tokenMode).toBe('command');
  });

  it('is as given, with the credential from the app or the top level', () => {
    expect(
      modeOf({ tokenMode: 'command' }, { WXLOG_TOKEN_COMMAND: COMMAND, WXLOG_TOKEN_URL: TOKEN_URL }),
    ).toMatchObject({
      tokenMode: 'command',
      tokenCommand: COMMAND,
    });
    expect(modeOf({ tokenMode: 'classic', secret: SECRET })?.tokenMode).toBe('classic');
    expect(modeOf({}, { WXLOG_TOKEN_MODE: 'url', WXLOG_TOKEN_URL: TOKEN_URL, WXLOG_SECRET: SECRET })?.tokenMode).toBe(
      'url',
    );
  });

  it('refuses an app with no credential, naming the app and what to set', () => {
    const { error, name } = fileRefusal({ apps: [{ appid: A, secret: SECRET }, { appid: B }] });
    expect(error.setting).toBe('apps[1]');
    expect(error.message).toBe(
      `apps[1] in ${name}: app ${B} has no credential to get an access token with; set its own "secret", ` +
        '"tokenUrl", "tokenCommand" or "accessToken", or a default for every app (WXLOG_SECRET, WXLOG_TOKEN_URL, ' +
        'WXLOG_TOKEN_COMMAND or WXLOG_ACCESS_TOKEN)',
    );
  });

  it('refuses a mode whose credential is nowhere', () => {
    const { error, name } = fileRefusal({ secret: SECRET, apps: [{ appid: A, tokenMode: 'url' }] });
    expect(error.setting).toBe('apps[0].tokenMode');
    expect(error.message).toBe(
      `apps[0] in ${name}: app ${A} needs a tokenUrl for the "url" token mode; set its own "tokenUrl" or WXLOG_TOKEN_URL`,
    );
    const fromTop = fileRefusal({ tokenMode: 'command', apps: [{ appid: A }] }).error;
    expect(fromTop.setting).toBe('apps[0]');
    expect(fromTop.message).toContain('needs a tokenCommand for the "command" token mode');
  });

  it('refuses its own accessToken with another mode of its own', () => {
    const { error, name } = fileRefusal({ apps: [{ appid: A, accessToken: TOKEN, tokenMode: 'stable' }] });
    expect(error.setting).toBe('apps[0].tokenMode');
    expect(error.message).toBe(
      `apps[0] in ${name}: tokenMode "stable" conflicts with its accessToken, which implies "static"; remove one of them`,
    );
  });
});

describe('local commands', () => {
  it('need neither apps nor credentials, and do not read the apps file', () => {
    expect(load({}, undefined, 'local').apps).toEqual([]);
    const config = load({ WXLOG_APPS_FILE: 'does-not-exist.txt' }, { apps: [{ appid: A }] }, 'local');
    expect(config.apps).toEqual([expect.objectContaining({ appid: A, tokenMode: 'stable' })]);
    expect(config.apps[0]?.secret).toBeUndefined();
    expect(config.appsFile).toBe(join(dir, 'does-not-exist.txt'));
  });

  it('still refuse what is wrong in the file', () => {
    expect(fileRefusal({ apps: [{ appid: A, pagesize: 1 }] }, {}, 'local').error.setting).toBe('apps[0].pagesize');
  });
});

describe('new top-level settings', () => {
  it('takes a token URL of http(s), with {appid} anywhere', () => {
    expect(load({ WXLOG_APPID: A, WXLOG_TOKEN_URL: ' http://127.0.0.1:8080/{appid}/token ' }).tokenUrl).toBe(
      'http://127.0.0.1:8080/{appid}/token',
    );
    for (const bad of ['ftp://tokens.example.com/{appid}', 'tokens.example.com/{appid}', 'https://x/a b']) {
      const error = refusal(() => load({ WXLOG_APPID: A, WXLOG_TOKEN_URL: bad }));
      expect(error.setting).toBe('WXLOG_TOKEN_URL');
      expect(error.message).toMatch(/^WXLOG_TOKEN_URL: must be an http\(s\) URL without spaces/);
    }
    const fromFile = fileRefusal({ apps: [{ appid: A, tokenUrl: 'mailto:x' }] }).error;
    expect(fromFile.setting).toBe('apps[0].tokenUrl');
    expect(fromFile.message).not.toContain('mailto');
  });

  it('refuses a token URL without {appid} that several apps would share, never echoing it', () => {
    const url = 'https://tokens.example.com/token?key=k3y-in-url';
    const error = fileRefusal({ apps: [{ appid: A }, { appid: B }, { appid: C }], tokenUrl: url }).error;
    expect(error.setting).toBe('tokenUrl');
    expect(error.message).toBe(
      `tokenUrl: one URL without {appid} serves ${A}, ${B} and 1 more, so every app would get the same token; ` +
        'put {appid} where the AppID goes (https://tokens.example.com/token?appid={appid})',
    );
    expect(error.message).not.toContain('k3y');
    // One app per URL is fine: a service of its own, or the one-app form.
    expect(
      load(
        {},
        {
          apps: [
            { appid: A, tokenUrl: url },
            { appid: B, tokenUrl: `${url}2` },
          ],
        },
      ).apps,
    ).toHaveLength(2);
    expect(load({ WXLOG_APPID: A, WXLOG_TOKEN_URL: url }).tokenUrl).toBe(url);
    expect(load({}, { apps: [{ appid: A }, { appid: B }], tokenUrl: `${url}&appid={appid}` }).apps).toHaveLength(2);
  });

  it('takes a concurrency from 1 to 256', () => {
    expect(load({ WXLOG_APPID: A, WXLOG_SECRET: SECRET, WXLOG_CONCURRENCY: '1' }).concurrency).toBe(1);
    expect(refusal(() => load({ WXLOG_CONCURRENCY: '0' })).message).toBe(
      'WXLOG_CONCURRENCY: must be an integer from 1 to 256, got "0"',
    );
  });

  it('takes a metrics address host:port, IPv6 in brackets', () => {
    const at = (addr: string) => load({ WXLOG_METRICS_ADDR: addr }, undefined, 'local').metricsAddr;
    expect(at('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(at('metrics.internal:65535')).toEqual({ host: 'metrics.internal', port: 65535 });
    for (const bad of [':9464', '127.0.0.1', '[::1]', '::1:9464', 'host:-1', 'host:70000', 'a b:1']) {
      const error = refusal(() => load({ WXLOG_METRICS_ADDR: bad }, undefined, 'local'));
      expect(error.message).toBe(
        `WXLOG_METRICS_ADDR: must be host:port with a port from 0 to 65535, like "127.0.0.1:9464" or "[::1]:9464", got ${JSON.stringify(bad)}`,
      );
    }
  });

  it('resolves the apps file against the working directory', () => {
    const name = write(A, 'txt');
    expect(load({ WXLOG_SECRET: SECRET }, { appsFile: name }).appsFile).toBe(join(dir, name));
  });
});

describe('loadApps and the apps file', () => {
  function withAppsFile(text: string, top: object = {}, env: Record<string, string> = { WXLOG_SECRET: SECRET }) {
    const name = write(text, 'txt');
    return { config: load({ ...env, WXLOG_APPS_FILE: name }, { ...top }), path: join(dir, name) };
  }

  it('reads one AppID a line, with # comments and blank lines', () => {
    const { config } = withAppsFile(`# our apps\n${A}\n\n  ${B}   # the shop\r\n#${C}\n`);
    expect(config.apps).toEqual([]);
    const apps = loadApps(config);
    expect(apps.map((app) => app.appid)).toEqual([A, B]);
    expect(apps[0]).toMatchObject({ tokenMode: 'stable', secret: SECRET, callsPerMinute: 45 });
    expect(apps[1]?.origin).toMatch(/^line 4 of apps file \/.*\.txt$/);
  });

  it('reads a JSON array of the same entries as apps', () => {
    const { config } = withAppsFile(
      JSON.stringify([
        { appid: A, callsPerMinute: 10 },
        { appid: B, enabled: false },
        { appid: C, tokenCommand: COMMAND },
      ]),
    );
    const apps = loadApps(config);
    expect(apps.map((app) => [app.appid, app.tokenMode, app.callsPerMinute])).toEqual([
      [A, 'stable', 10],
      [C, 'command', 45],
    ]);
  });

  it('adds the apps of the config file first, and reads the file again at each call', () => {
    const { config, path } = withAppsFile(`${B}\n`, { apps: [{ appid: A }] });
    expect(loadApps(config).map((app) => app.appid)).toEqual([A, B]);
    writeFileSync(path, `${B}\n${C}\n`);
    expect(loadApps(config).map((app) => app.appid)).toEqual([A, B, C]);
    writeFileSync(path, '');
    expect(loadApps(config).map((app) => app.appid)).toEqual([A]);
    const seen: string[] = [];
    const apps = loadApps(config, (p) => {
      seen.push(p);
      return `\uFEFF${C}\n`;
    });
    expect(seen).toEqual([path]);
    expect(apps.map((app) => app.appid)).toEqual([A, C]);
  });

  it('is read once at start for commands that talk to WeChat, so that its mistakes stop them', () => {
    const name = write(`${A}\nwx 123 ${SECRET}\n`, 'txt');
    const error = refusal(() => load({ WXLOG_SECRET: SECRET, WXLOG_APPS_FILE: name }));
    expect(error.setting).toBe('WXLOG_APPS_FILE');
    expect(error.message).toBe(
      `line 2 of apps file ${join(dir, name)}: must be one AppID a line, without spaces, like "wx1234567890abcdef" (# starts a comment)`,
    );
    const missing = refusal(() => load({ WXLOG_SECRET: SECRET, WXLOG_APPS_FILE: 'nope.txt' }));
    expect(missing.message).toBe(`apps file ${join(dir, 'nope.txt')}: no such file`);
    const empty = refusal(() => load({ WXLOG_SECRET: SECRET, WXLOG_APPS_FILE: write('# none yet\n', 'txt') }));
    expect(empty.setting).toBe('WXLOG_APPS_FILE');
    expect(empty.message).toBe('WXLOG_APPS_FILE: no enabled app to export; list at least one');
  });

  it('refuses an unknown key or bad JSON in a JSON apps file', () => {
    const unknown = refusal(() => withAppsFile(JSON.stringify([{ appid: A, pagesize: 1 }])));
    expect(unknown.setting).toBe('[0].pagesize');
    expect(unknown.message).toMatch(/^\[0\]\.pagesize in apps file \/.*: unknown setting; did you mean "pageSize"\?$/);
    const bad = refusal(() => withAppsFile(`[{"appid": "${A}", "secret": "${SECRET}"`));
    expect(bad.message).toMatch(/^apps file \/.*: is not valid JSON: /);
    expect(bad.message).not.toContain(SECRET);
    expect(refusal(() => withAppsFile('[1]')).message).toMatch(
      /^\[0\] in apps file .*: must be an object with at least/,
    );
  });

  it('refuses an AppID of the apps file that is also in the config file or twice in the file, naming both places', () => {
    const both = refusal(() => withAppsFile(`${B}\n${A}\n`, { apps: [{ appid: A }] }));
    expect(both.message).toMatch(
      new RegExp(
        `^line 2 of apps file /.*: app ${A} is listed twice, also at apps\\[0\\] in file-\\d+\\.json; keep one of them$`,
      ),
    );
    const twice = refusal(() => withAppsFile(`${A}\n${B}\n${A}\n`));
    expect(twice.message).toMatch(
      /^line 3 of apps file .*: app wxa+ is listed twice, also at line 1 of apps file .*; keep one/,
    );
  });

  it('refuses an app of the file without a usable credential', () => {
    const error = refusal(() => withAppsFile(`${A}\n`, {}, {}));
    expect(error.message).toMatch(
      new RegExp(`^line 1 of apps file /.*: app ${A} has no credential to get an access token with; set its own`),
    );
  });
});

describe('secrets', () => {
  const attempts: Array<[string, () => unknown]> = [
    ['a secret of the wrong shape in an app', () => load({}, { apps: [{ appid: A, secret: `${SECRET} x` }] })],
    ['a token of the wrong shape in an app', () => load({}, { apps: [{ appid: A, accessToken: `${TOKEN}\t` }] })],
    ['a bad token URL', () => load({ WXLOG_APPID: A, WXLOG_TOKEN_URL: `ftp://x/?key=${SECRET}` })],
    ['a bad token URL in an app', () => load({}, { apps: [{ appid: A, tokenUrl: `x${SECRET}` }] })],
    ['a token command that is not text', () => load({}, { tokenCommand: 1, apps: [{ appid: A, secret: SECRET }] })],
    [
      'a duplicate',
      () =>
        load(
          {},
          {
            apps: [
              { appid: A, secret: SECRET },
              { appid: A, accessToken: TOKEN },
            ],
          },
        ),
    ],
    ['a conflict', () => load({}, { apps: [{ appid: A, accessToken: TOKEN, tokenMode: 'url', tokenUrl: TOKEN_URL }] })],
    ['a missing credential', () => load({ WXLOG_ACCESS_TOKEN: TOKEN }, { apps: [{ appid: A, tokenMode: 'command' }] })],
    ['the one-app form with apps', () => load({ WXLOG_APPID: A, WXLOG_SECRET: SECRET }, { apps: [{ appid: B }] })],
    ['a missing url', () => load({ WXLOG_APPID: A, WXLOG_TOKEN_MODE: 'url', WXLOG_SECRET: SECRET })],
  ];

  it.each(attempts)('are never echoed: %s', (_name, attempt) => {
    const error = refusal(attempt);
    for (const secret of [SECRET, TOKEN, 'K3yOfTheService', 'V4ultKey']) expect(error.message).not.toContain(secret);
  });

  it('of every app are handed to the logger to mask', () => {
    const config = load(
      { WXLOG_SECRET: 'top-secret' },
      { apps: [{ appid: A, secret: SECRET }, { appid: B, accessToken: TOKEN }, { appid: C }] },
    );
    expect(configSecrets(config).sort()).toEqual([SECRET, TOKEN, 'top-secret'].sort());
  });
});
