/**
 * A configuration mistake, reported as one line that names the setting as the user wrote it
 * (`WXLOG_PAGE_SIZE`, or `pageSize in wxlog.json`). The CLI prints the message and exits 2.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
  /** The env variable, JSON key path (`filters.level`) or option (`--config`) at fault. */
  readonly setting: string;

  constructor(setting: string, message: string) {
    super(message);
    this.setting = setting;
  }
}
