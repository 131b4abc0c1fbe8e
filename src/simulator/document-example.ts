import type { LogEntry } from '../wechat/types.js';
import type { EntryHeader } from './data-generator.js';

/*
 * The example entry of the userlog_search document (its 返回示例), served once a day by the simulator, so
 * that the README's queries by that traceid and openid return rows on `wxlog demo`'s data. Its fields
 * are the document's; only its times move into the day served, at the document's time of day.
 */

/** The document's traceid, kept literally: queries name it. */
const TRACEID = 'oXu03410akoNqfsrMMswk6Zwwl1U_1570852656';
const OPENID = 'oXu034-Kl5Et2U0vsexKDsFaon0Q';
/** The document's timestamp, 1570852796, is 11:59:56 CST; its messages are a second earlier. */
export const EXAMPLE_SECOND_OF_DAY = 11 * 3600 + 59 * 60 + 56;
/** The example's level: the OR of its messages' levels (info 2, warn 4). */
export const EXAMPLE_LEVEL = 6;

/** What filters look at, as {@link DataGenerator.header} gives it for generated entries. */
export const EXAMPLE_HEADER: EntryHeader = {
  id: OPENID,
  traceid: TRACEID,
  url: 'pages/chat/chat',
  filterMsg: 'NetworkExceed08 ReportTimeTotal',
  platform: 1,
  libraryVersion: '2.8.3',
  clientVersion: '7.0.7',
};

/** The document's example entry logged at `timestamp`, fields in the document's order. */
export function documentExample(timestamp: number): LogEntry {
  return {
    level: EXAMPLE_LEVEL,
    platform: 1,
    libraryVersion: '2.8.3',
    clientVersion: '7.0.7',
    id: OPENID,
    timestamp,
    msg: [
      { time: timestamp - 1, msg: ['hello world'], level: 2 },
      { time: timestamp - 1, msg: ['get msg list mig 10006'], level: 4 },
    ],
    url: 'pages/chat/chat',
    traceid: TRACEID,
    filterMsg: 'NetworkExceed08 ReportTimeTotal',
  };
}
