-- Many apps in one database (docs/schema.md): who ran each app's pass, and one row per app seen.

-- The process that ran the pass, as host:pid, so that overlapping runs of one app by two workers show.
ALTER TABLE runs ADD COLUMN worker TEXT;
UPDATE runs SET worker = 'unknown:' || pid WHERE pid IS NOT NULL;
CREATE INDEX runs_app_started ON runs (appid, started_at);

-- One row per app the database has seen: what `wxlog status` lists for a database of many apps.
CREATE TABLE apps (
  appid         TEXT    PRIMARY KEY,
  first_seen_at INTEGER NOT NULL,            -- unix seconds: the first pass that exported it
  last_run_at   INTEGER,                     -- start of its latest finished pass
  last_exit     INTEGER,                     -- that pass's exit code (docs/exit-codes.md)
  last_error    TEXT                         -- that pass's first error, or NULL
);
INSERT INTO apps (appid, first_seen_at, last_run_at, last_exit, last_error)
SELECT appid, MIN(started_at),
       (SELECT r2.started_at FROM runs r2 WHERE r2.appid = runs.appid AND r2.finished_at IS NOT NULL
        ORDER BY r2.started_at DESC, r2.id DESC LIMIT 1),
       (SELECT r2.exit_code FROM runs r2 WHERE r2.appid = runs.appid AND r2.finished_at IS NOT NULL
        ORDER BY r2.started_at DESC, r2.id DESC LIMIT 1),
       (SELECT r2.message FROM runs r2 WHERE r2.appid = runs.appid AND r2.finished_at IS NOT NULL
        AND r2.exit_code <> 0 ORDER BY r2.started_at DESC, r2.id DESC LIMIT 1)
FROM runs WHERE appid IS NOT NULL AND appid <> '' GROUP BY appid;
