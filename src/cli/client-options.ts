import type { Config } from '../config/config-schema.js';
import type { WechatClientOptions } from '../wechat/wechat-client.js';

/** How the settings reach WeChat: the one place that turns a Config into a client's connection options. */
export function clientOptions(
  config: Config,
): Pick<WechatClientOptions, 'apiBase' | 'appid' | 'secret' | 'tokenMode' | 'accessToken'> {
  return {
    apiBase: config.apiBase,
    appid: config.appid,
    secret: config.secret,
    tokenMode: config.tokenMode,
    accessToken: config.accessToken,
  };
}
