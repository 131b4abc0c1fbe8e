import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../src/log/logger.js';

class Capture extends Writable {
  chunks: string[] = [];
  isTTY?: boolean;

  constructor(isTTY?: boolean) {
    super();
    if (isTTY !== undefined) this.isTTY = isTTY;
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(chunk.toString());
    callback();
  }

  get text(): string {
    return this.chunks.join('');
  }

  get lines(): string[] {
    return this.text.split('\n').filter((line) => line !== '');
  }

  get records(): Array<Record<string, unknown>> {
    return this.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

const fixed = (): Date => new Date('2026-11-22T08:00:00.000Z');

describe('JSON lines (not a terminal)', () => {
  it('writes one JSON object per line: time, level, msg, then the fields', () => {
    const stream = new Capture();
    const log = createLogger({ level: 'debug', stream, now: fixed });
    log.info('export started', { days: 7, appid: 'wx1' });
    log.error('window incomplete');
    expect(stream.text.endsWith('\n')).toBe(true);
    expect(stream.lines).toHaveLength(2);
    expect(stream.records[0]).toEqual({
      time: '2026-11-22T08:00:00.000Z',
      level: 'info',
      msg: 'export started',
      days: 7,
      appid: 'wx1',
    });
    expect(Object.keys(stream.records[0] ?? {}).slice(0, 3)).toEqual(['time', 'level', 'msg']);
    expect(stream.records[1]).toEqual({ time: '2026-11-22T08:00:00.000Z', level: 'error', msg: 'window incomplete' });
  });

  it('is the default when the stream has no isTTY, and can be forced on a terminal', () => {
    const tty = new Capture(true);
    createLogger({ level: 'info', stream: tty, now: fixed, pretty: false }).info('hi');
    expect(tty.records[0]?.['msg']).toBe('hi');
  });

  it('does not let a field overwrite time, level or msg', () => {
    const stream = new Capture();
    createLogger({ level: 'info', stream, now: fixed }).warn('real', { msg: 'fake', level: 'debug' });
    const record = stream.records[0] ?? {};
    expect(record['msg']).toBe('real');
    expect(record['level']).toBe('warn');
    expect(record['field.msg']).toBe('fake');
  });

  it('writes values JSON cannot hold without throwing', () => {
    const stream = new Capture();
    const loop: Record<string, unknown> = { name: 'loop' };
    loop['self'] = loop;
    createLogger({ level: 'info', stream, now: fixed }).info('odd', {
      loop,
      big: 10n,
      nan: Number.NaN,
      when: new Date('2026-01-01T00:00:00Z'),
      gone: undefined,
    });
    const record = stream.records[0] ?? {};
    expect((record['loop'] as Record<string, unknown>)['name']).toBe('loop');
    expect(record['big']).toBe('10');
    expect(record['nan']).toBe('NaN');
    expect(record['when']).toBe('2026-01-01T00:00:00.000Z');
    expect('gone' in record).toBe(false);
  });
});

describe('levels', () => {
  it('drops lines below the level', () => {
    const stream = new Capture();
    const log = createLogger({ level: 'warn', stream, now: fixed });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(stream.records.map((r) => r['msg'])).toEqual(['w', 'e']);
  });

  it('writes debug lines at level debug only', () => {
    const quiet = new Capture();
    createLogger({ level: 'info', stream: quiet, now: fixed }).debug('d');
    expect(quiet.lines).toEqual([]);
    const verbose = new Capture();
    createLogger({ level: 'debug', stream: verbose, now: fixed }).debug('d');
    expect(verbose.records[0]?.['level']).toBe('debug');
  });
});

describe('child loggers', () => {
  it('add their fields to every line; the line and the inner child win on a clash', () => {
    const stream = new Capture();
    const run = createLogger({ level: 'info', stream, now: fixed }).child({ run: 1, day: '20261122' });
    const window = run.child({ day: '20261121', window: 3 });
    run.info('a');
    window.info('b', { window: 4 });
    expect(stream.records[0]).toMatchObject({ msg: 'a', run: 1, day: '20261122' });
    expect(stream.records[1]).toMatchObject({ msg: 'b', run: 1, day: '20261121', window: 4 });
  });

  it('keep the parent level', () => {
    const stream = new Capture();
    createLogger({ level: 'error', stream, now: fixed }).child({ a: 1 }).warn('dropped');
    expect(stream.lines).toEqual([]);
  });
});

describe('redaction', () => {
  const secret = 'app$ecret/with+chars';
  const token = '83_AbCdEfGhIjKlMn';

  it('masks secrets in the message, in fields at any depth and in Error messages', () => {
    const stream = new Capture();
    const log = createLogger({ level: 'info', stream, now: fixed, redact: [secret, token] });
    log.info(`token ${token} refreshed`, {
      request: { body: { secret }, list: [`x${token}y`] },
      error: new Error(`upstream said ${secret}`),
      encoded: `appsecret:${encodeURIComponent(secret)}`,
    });
    expect(stream.text).not.toContain(secret);
    expect(stream.text).not.toContain(token);
    expect(stream.text).not.toContain(encodeURIComponent(secret));
    const record = stream.records[0] ?? {};
    expect(record['msg']).toBe('token *** refreshed');
    expect(record['request']).toEqual({ body: { secret: '***' }, list: ['x***y'] });
    expect(record['error']).toBe('upstream said ***');
  });

  it('masks access_token= values it was not told about, up to the next &', () => {
    const stream = new Capture();
    const log = createLogger({ level: 'info', stream, now: fixed });
    log.warn('GET /wxaapi/userlog/userlog_search?access_token=OLD_TOKEN_9&date=20261122 failed', {
      url: 'https://api.weixin.qq.com/wxaapi/log/get_scene?access_token=ANOTHER',
    });
    const record = stream.records[0] ?? {};
    expect(record['msg']).toBe('GET /wxaapi/userlog/userlog_search?access_token=***&date=20261122 failed');
    expect(record['url']).toBe('https://api.weixin.qq.com/wxaapi/log/get_scene?access_token=***');
  });

  it('masks what the client masks: appsecret= and authorizer_access_token= values and JSON token fields', () => {
    const stream = new Capture();
    const log = createLogger({ level: 'info', stream, now: fixed });
    log.warn('token answer {"access_token":"LEAKED_1","expires_in":7200}', {
      url: '/cgi-bin/component/api_authorizer_token?appsecret=S3&authorizer_access_token=T4',
    });
    const record = stream.records[0] ?? {};
    expect(record['msg']).toBe('token answer {"access_token":"***","expires_in":7200}');
    expect(record['url']).toBe('/cgi-bin/component/api_authorizer_token?appsecret=***&authorizer_access_token=***');
  });

  it('renders an Error as its message', () => {
    const stream = new Capture();
    createLogger({ level: 'info', stream, now: fixed }).error('run failed', {
      err: new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') }),
    });
    expect(stream.records[0]?.['err']).toBe('fetch failed');
  });

  it('masks secrets in readable lines too', () => {
    const stream = new Capture(true);
    createLogger({ level: 'info', stream, now: fixed, redact: [token] }).info(`using ${token}`, { t: token });
    expect(stream.text).not.toContain(token);
    expect(stream.text).toBe('08:00:00 INFO  using *** t=***\n');
  });
});

describe('readable lines (a terminal)', () => {
  const originalTz = process.env['TZ'];
  afterEach(() => {
    if (originalTz === undefined) delete process.env['TZ'];
    else process.env['TZ'] = originalTz;
  });

  it('writes time, level and message, then key=value pairs', () => {
    const stream = new Capture(true);
    const log = createLogger({ level: 'debug', stream, now: fixed });
    log.info('export finished', { entries: 120, complete: true, day: '20261122' });
    log.warn('slow page', { note: 'took 3 s', detail: { start: 100 } });
    log.debug('d');
    log.error('e');
    expect(stream.lines).toEqual([
      '08:00:00 INFO  export finished entries=120 complete=true day=20261122',
      '08:00:00 WARN  slow page note="took 3 s" detail={"start":100}',
      '08:00:00 DEBUG d',
      '08:00:00 ERROR e',
    ]);
  });

  it('can be forced on a stream that is not a terminal', () => {
    const stream = new Capture();
    createLogger({ level: 'info', stream, now: fixed, pretty: true }).info('hello');
    expect(stream.text).toBe('08:00:00 INFO  hello\n');
  });

  it('does not depend on the host time zone', () => {
    process.env['TZ'] = 'America/New_York';
    const stream = new Capture(true);
    createLogger({ level: 'info', stream, now: fixed }).info('tz');
    expect(stream.text).toBe('08:00:00 INFO  tz\n');
  });
});

describe('silentLogger', () => {
  it('accepts every call, also through children', () => {
    expect(() => {
      silentLogger.info('x', { a: 1 });
      silentLogger.child({ b: 2 }).error('y');
    }).not.toThrow();
  });
});
