import type { SearchFilters } from '../wechat/types.js';
import type { TokenMode } from '../wechat/token-mode.js';

/**
 * One app's settings, resolved (docs/configuration.md, "Many apps"): its own values over the top-level
 * defaults, the token mode decided by the most specific credential. The export of one app needs nothing
 * else of the configuration.
 */
export interface AppConfig {
  appid: string;
  tokenMode: TokenMode;
  /** For `stable` and `classic`; only then set. Never log it. */
  secret?: string;
  /** For `static`; only then set. Never log it. */
  accessToken?: string;
  /** For `url`, only then set: GET this, `{appid}` replaced by the AppID. */
  tokenUrl?: string;
  /** For `command`, only then set: run by `/bin/sh` with `WXLOG_APPID` in its environment. */
  tokenCommand?: string;
  /** Search calls allowed per rate interval for this app (its own budget), 1..49. */
  callsPerMinute: number;
  lookbackDays: number;
  pageSize: number;
  filters: SearchFilters;
  /**
   * Where the app was listed, for messages: `WXLOG_APPID`, `apps[2] in wxlog.json`, `line 4 of /srv/apps.txt`.
   * Absent for an AppConfig built by hand.
   */
  origin?: string;
}
