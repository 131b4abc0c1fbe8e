import { LEVEL_NUMBERS } from '../../config/config-schema.js';
import { FTS_MIN_CHARACTERS, type MessageHit } from '../../store/message-search.js';
import { notStoredMessage } from '../../store/stored-apps.js';
import { formatCst } from '../../wechat/cst-day.js';
import { configHelp, commandConfig, configOptions } from '../cli-config.js';
import { UsageError, type Command, type CommandContext } from '../command.js';
import { parseCommandArgs } from '../command-args.js';
import { openCommandStore } from '../command-store.js';
import { ExitCode } from '../exit-codes.js';
import { parseSince } from '../since-option.js';
import { optionsHelp } from '../options-help.js';

const options = {
  ...configOptions,
  app: { type: 'string', multiple: true },
  level: { type: 'string' },
  since: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const DEFAULT_LIMIT = 50;

function parseLevel(value: string): number {
  const level =
    (LEVEL_NUMBERS as Record<string, number>)[value.toLowerCase()] ??
    (/^[248]$/.test(value) ? Number(value) : undefined);
  if (level === undefined)
    throw new UsageError(`--level: expected info, warn, error, 2, 4 or 8, got ${JSON.stringify(value)}`);
  return level;
}

function parseLimit(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new UsageError(`--limit: expected a whole number of at least 1, got ${JSON.stringify(value)}`);
  return Number(value);
}

// A message's level is that of one log call (2, 4 or 8); the bit tests match the log_lines view.
function levelName(level: number | null): string {
  if (level === null) return '-';
  if (level & 8) return 'ERROR';
  if (level & 4) return 'WARN';
  if (level & 2) return 'INFO';
  return String(level);
}

function textLine(withApp: boolean): (hit: MessageHit) => string {
  return (hit) => {
    const text = hit.text.replace(/\s*[\r\n]+\s*/g, ' ');
    const app = withApp ? `${hit.appid} ` : '';
    return `${formatCst(hit.time)} ${levelName(hit.level).padEnd(5)} ${app}${hit.url ?? '-'} trace=${hit.traceid ?? '-'} ${text}\n`;
  };
}

function jsonLine(hit: MessageHit): string {
  const fields = {
    time: hit.time,
    time_cst: formatCst(hit.time),
    level: hit.level,
    level_name: levelName(hit.level).toLowerCase(),
    appid: hit.appid,
    url: hit.url,
    traceid: hit.traceid,
    openid: hit.openid,
    entry_id: hit.entryId,
    message_id: hit.messageId,
    text: hit.text,
  };
  // args is stored as JSON text: embedded as it is, so large numbers in it stay exact.
  return `${JSON.stringify(fields).slice(0, -1)},"args":${hit.args}}\n`;
}

export const searchCommand: Command = {
  name: 'search',
  summary: 'full-text search over stored messages, newest first',
  help: `wxlog search TEXT [options]

Finds messages containing TEXT anywhere (case-insensitive for Latin letters), Chinese included:
"请求失败" finds "网络请求失败". Prints one line per message, newest first:
  2026-11-22 12:40:00 WARN  pages/chat/chat trace=oXu0…_1570852656 网络请求失败 404 …
(the log call's CST time, its level, the page, the trace id, the message text). When the search covers
several apps, the AppID comes after the level:
  2026-11-22 12:40:00 WARN  wx1234567890abcdef pages/chat/chat trace=oXu0…_1570852656 网络请求失败 404 …

TEXT is matched literally (quotes, OR, * and the like are not operators). Text of ${FTS_MIN_CHARACTERS} characters or
more uses the full-text index (trigram); shorter text (e.g. "超时" or "42") is looked for with a LIKE
scan over every message, which is slower on large files. On PostgreSQL, ILIKE through the pg_trgm index
(log_messages_text_trgm), with the same output.

Options:
${optionsHelp([
  ['--app APPID', 'only messages of this app; repeat it for several (default: every app in the file)'],
  ['--level LEVEL', 'only messages at this level or above: info (2), warn (4), error (8)'],
  [
    '--since WHEN',
    'only messages since then: a duration back from now (30m, 2h, 3d, 1w) or a CST\ndate (2026-11-22, from 00:00 CST)',
  ],
  ['--limit N', `at most N messages (default ${DEFAULT_LIMIT})`],
  ['--json', 'one JSON object per line instead (time, level, url, traceid, openid, text, args, …)'],
  ...configHelp,
])}

Without --app, only the entries of WXLOG_APPID are searched when it is set, else those of every app in
the file. An app the file does not hold is an error (exit 2) that names the apps it holds.`,
  async run(ctx: CommandContext) {
    const { values, positionals } = parseCommandArgs('search', ctx.argv, options, true);
    const text = positionals.join(' ');
    if (text === '') throw new UsageError('needs the TEXT to look for, e.g. wxlog search 请求失败');
    const minLevel = values.level === undefined ? undefined : parseLevel(values.level);
    const since = values.since === undefined ? undefined : parseSince(values.since, Math.floor(ctx.now() / 1000));
    const limit = values.limit === undefined ? DEFAULT_LIMIT : parseLimit(values.limit);
    const config = commandConfig(ctx, values, 'local');
    const asked = values.app ?? (config.appid === '' ? [] : [config.appid]);
    const store = await openCommandStore(config.db);
    try {
      const held = await store.storedApps();
      const missing = notStoredMessage(asked, held, store.label);
      if (missing !== null) throw new UsageError(`${values.app === undefined ? 'WXLOG_APPID' : '--app'}: ${missing}`);
      const hits = await store.search({
        text,
        limit,
        appids: asked,
        ...(minLevel === undefined ? {} : { minLevel }),
        ...(since === undefined ? {} : { since }),
      });
      // The AppID is shown whenever the search covers several apps, so that a script's lines keep one shape.
      const severalApps = asked.length === 0 ? held.length > 1 : new Set(asked).size > 1;
      ctx.stdout.write(hits.map(values.json ? jsonLine : textLine(severalApps)).join(''));
      if (hits.length === 0) {
        const of = asked.length === 0 ? '' : ` of ${[...new Set(asked)].join(', ')}`;
        ctx.stderr.write(`wxlog search: no stored message${of} contains ${JSON.stringify(text)}\n`);
      }
      return ExitCode.Ok;
    } finally {
      await store.close();
    }
  },
};
