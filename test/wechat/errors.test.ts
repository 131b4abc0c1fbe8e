import { describe, expect, it } from 'vitest';
import { classifyErrcode, errcodeInfo, errcodeMeaning, WechatError } from '../../src/wechat/errors.js';

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
  it.each([
    [200007, 'no permission to read realtime logs'],
    [40013, 'invalid AppID'],
    [40125, 'invalid AppSecret'],
    [41002, 'AppID missing'],
    [41004, 'AppSecret missing'],
    [61003, 'the third-party platform is not authorized by this app'],
    [61007, 'the third-party platform is not authorized for this API'],
    [45009, 'daily API quota reached'],
    [48001, 'this app is not authorized to call the API'],
    [76021, 'cgi_path not found'],
    [76022, 'cgi_path not allowed with this access token'],
    [200010, 'rate limited'],
    [45011, 'rate limited'],
    [200002, 'parameters refused'],
    [-1, 'WeChat system busy'],
    [40001, 'access token rejected'],
    [40014, 'access token rejected'],
    [42001, 'access token rejected'],
    [40002, 'invalid grant_type'],
    [507010, 'refused'],
  ] as const)('words %i as "%s"', (errcode, meaning) => {
    expect(errcodeMeaning(errcode)).toBe(meaning);
  });

  it('marks only the errcodes about the AppID, the AppSecret or the grant as credential errors', () => {
    const credentials = [40001, 40002, 40013, 40125, 41002, 41004, 200007, 61003, -1].filter(
      (c) => errcodeInfo(c)?.credentials,
    );
    expect(credentials).toEqual([40002, 40013, 40125, 41002, 41004]);
  });
});

describe('WechatError', () => {
  it('carries kind, api, errcode and a one-line message', () => {
    const e = new WechatError('userlog_search: refused\nsecond line', {
      kind: 'fatal',
      api: 'search',
      errcode: 200007,
    });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('WechatError');
    expect(e.message).toBe('userlog_search: refused second line');
    expect(String(e)).toBe('WechatError: userlog_search: refused second line');
    expect([e.kind, e.api, e.errcode, e.httpStatus]).toEqual(['fatal', 'search', 200007, undefined]);
  });
});
