import { ConfigError } from './config-error.js';
import { appsArraySchema, settingSchemas } from './config-schema.js';
import type { ListedApp } from './resolve-app.js';
import { fileIssue, parseJson, readSettingsText, type ReadFile } from './settings-file.js';

const SETTING = 'WXLOG_APPS_FILE';

/**
 * The apps listed in the apps file at `path` (absolute): a JSON array of the entries of `apps`, or one AppID
 * a line, `#` starting a comment, blank lines ignored. Throws a one-line {@link ConfigError} naming the file
 * and the entry or line at fault. An empty file lists no app.
 */
export function readAppsFile(path: string, readFile: ReadFile): ListedApp[] {
  const fail = (problem: string): ConfigError => new ConfigError(SETTING, `apps file ${path}: ${problem}`);
  const text = readSettingsText(path, readFile, fail);
  return text.trimStart().startsWith('[') ? jsonApps(path, text, fail) : lineApps(path, text);
}

function jsonApps(path: string, text: string, fail: (problem: string) => ConfigError): ListedApp[] {
  const values = parseJson(text, fail);
  const result = appsArraySchema.safeParse(values);
  if (!result.success) throw fileIssue(result.error, values, `apps file ${path}`);
  return result.data.map((entry, i) => ({ entry, place: `[${i}] in apps file ${path}`, setting: `[${i}]` }));
}

const LINE_RULE = 'must be one AppID a line, without spaces, like "wx1234567890abcdef" (# starts a comment)';

function lineApps(path: string, text: string): ListedApp[] {
  const apps: ListedApp[] = [];
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    const appid = line.replace(/#.*/, '').trim();
    if (appid === '') continue;
    const place = `line ${i + 1} of apps file ${path}`;
    // The line is not echoed: a secret pasted next to an AppID must not reach the terminal.
    if (!settingSchemas.appid.safeParse(appid).success) throw new ConfigError(SETTING, `${place}: ${LINE_RULE}`);
    apps.push({ entry: { appid, enabled: true }, place, setting: SETTING });
  }
  return apps;
}
