import { describe, expect, it } from 'vitest';
import { classifyErrcode, coerceError, errcodeMeaning, WechatError } from '../../src/wechat/errors.js';

describe('classifyErrcode', () => {
  it.each([
    [40001, 'token'],
    [40014, 'token'],
    [42001, 'token'],
    [200010, 'rate'],
    [45011, 'rate'],
    [-1, 'transient'],
    [45009, 'quota'],
    [200002, 'params'],
    [200007, 'fatal'],
    [40013, 'fatal'],
    [40125, 'fatal'],
    [41002, 'fatal'],
    [41004, 'fatal'],
    [61003, 'fatal'],
    [61007, 'fatal'],
    [48001, 'fatal'],
    [76021, 'fatal'],
    [76022, 'fatal'],
    [40002, 'fatal'],
    [507010, 'fatal'],
    [123456789, 'fatal'],
  ] as const)('classifies %i as %s', (errcode, kind) => {
    expect(classifyErrcode(errcode)).toBe(kind);
  });
});

describe('errcodeMeaning', () => {
  it('gives the words of the errcode table, the same table that gives the kind', () => {
    expect(errcodeMeaning(200002)).toBe('parameters refused');
    expect(errcodeMeaning(-1)).toBe('WeChat system busy');
    expect(errcodeMeaning(40001)).toBe('access token rejected');
    expect(errcodeMeaning(40125)).toBe('invalid AppSecret');
    expect(errcodeMeaning(76022)).toBe('cgi_path not allowed with this access token');
  });

  it('knows nothing of an errcode the table does not list', () => {
    expect(errcodeMeaning(507010)).toBeUndefined();
  });
});

describe('WechatError', () => {
  it('carries kind, api, errcode and a one-line message', () => {
    const e = new WechatError('userlog_search: refused\nsecond line', { kind: 'fatal', api: 'search', errcode: 200007 });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('WechatError');
    expect(e.message).toBe('userlog_search: refused second line');
    expect(String(e)).toBe('WechatError: userlog_search: refused second line');
    expect([e.kind, e.api, e.errcode, e.httpStatus]).toEqual(['fatal', 'search', 200007, undefined]);
  });
});

describe('coerceError', () => {
  it('keeps errors and wraps anything else', () => {
    const original = new TypeError('x');
    expect(coerceError(original)).toBe(original);
    expect(coerceError('boom').message).toBe('boom');
    expect(coerceError({ a: 1 }).message).toContain('{"a":1}');
    expect(coerceError(undefined)).toBeInstanceOf(Error);
  });
});
