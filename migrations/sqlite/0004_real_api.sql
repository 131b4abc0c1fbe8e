-- What the real API may do that its document does not say (docs/real-api.md).

-- An entry served without a usable timestamp is kept under the window that served it: `timestamp` is then
-- that window's begintime, and window_id names the narrowest window that served it (NULL for every entry
-- that came with its timestamp). The index finds such an entry again by its content alone.
ALTER TABLE log_entries ADD COLUMN window_id INTEGER;
CREATE INDEX log_entries_untimed ON log_entries (appid, fingerprint) WHERE window_id IS NOT NULL;

-- Entries of a run that did not have the documented shape (kept all the same).
ALTER TABLE runs ADD COLUMN unexpected_shape INTEGER NOT NULL DEFAULT 0;

-- A window status for days the server will not serve (out of its retention): 'unavailable'. SQLite cannot
-- change a CHECK constraint in place, so the ledger is copied into a table that allows it. The new table
-- refers to itself by its new name; renaming it rewrites that reference to "windows".
CREATE TABLE windows_0004 (
  id            INTEGER PRIMARY KEY,
  appid         TEXT    NOT NULL,
  filter_key    TEXT    NOT NULL DEFAULT '',
  date          TEXT    NOT NULL,
  begintime     INTEGER NOT NULL,
  endtime       INTEGER NOT NULL,
  parent_id     INTEGER REFERENCES windows_0004 (id),
  status        TEXT    NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'incomplete', 'complete', 'split', 'unavailable')),
  server_total  INTEGER,
  stored_count  INTEGER,
  next_start    INTEGER NOT NULL DEFAULT 0,
  read_total    INTEGER,
  checked_at    INTEGER,
  completed_at  INTEGER,
  expired_at    INTEGER,
  note          TEXT,
  UNIQUE (appid, filter_key, begintime, endtime)
);
INSERT INTO windows_0004 SELECT id, appid, filter_key, date, begintime, endtime, parent_id, status, server_total,
  stored_count, next_start, read_total, checked_at, completed_at, expired_at, note FROM windows;
DROP TABLE windows;
ALTER TABLE windows_0004 RENAME TO windows;
CREATE INDEX windows_day ON windows (appid, filter_key, date);
CREATE INDEX windows_parent ON windows (parent_id);
