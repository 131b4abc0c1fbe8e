/** An error answer: HTTP 200 with a JSON body, as WeChat sends them. */
export interface WeChatError {
  errcode: number;
  errmsg: string;
}

/** The error answers the simulator gives, in WeChat's own wording where it is known. */
export const ERRORS = {
  system: { errcode: -1, errmsg: 'system error' },
  invalidToken: { errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' },
  invalidGrantType: { errcode: 40002, errmsg: 'invalid grant_type' },
  invalidAppid: { errcode: 40013, errmsg: 'invalid appid' },
  invalidSecret: { errcode: 40125, errmsg: 'invalid appsecret' },
  missingToken: { errcode: 41001, errmsg: 'access_token missing' },
  missingAppid: { errcode: 41002, errmsg: 'appid missing' },
  missingSecret: { errcode: 41004, errmsg: 'appsecret missing' },
  expiredToken: { errcode: 42001, errmsg: 'access_token expired' },
  dailyQuota: { errcode: 45009, errmsg: 'reach max api daily quota limit' },
  badBody: { errcode: 47001, errmsg: 'data format error' },
  cgiPathNotFound: { errcode: 76021, errmsg: 'cgi_path not found' },
  rateLimited: { errcode: 200010, errmsg: '操作过于频繁,目前限制每分钟50次' },
} as const satisfies Record<string, WeChatError>;
