/**
 * Exit codes of docs/exit-codes.md. Scripts and CronJobs branch on these numbers; `runs.exit_code` and
 * `apps.last_exit` keep them per app.
 */
export const ExitCode = {
  /** Done; every window is complete. */
  Ok: 0,
  /** Done; some windows are still incomplete, or some apps failed (the next run continues). */
  Incomplete: 1,
  /** Bad configuration or usage, or a database that cannot be opened or written; nothing was written. */
  Usage: 2,
  /** Fatal upstream error (credentials, permission): of the only app, or of every app. */
  Fatal: 3,
  /** Another run holds the database's lock. */
  Locked: 4,
  /** An internal error: a bug in wxlog. Its stack is printed; running again will not help. */
  Internal: 5,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
