-- wxlog schema, version 1. Released migrations are never edited: add 0002_… instead.
-- Times are unix seconds (INTEGER) unless a column says _ms. Views add China Standard Time datetimes.

-- One realtime-log entry as realtimelogSearch returned it.
-- Identity: (appid, traceid, timestamp) plus a fingerprint of the whole entry's content. The fingerprint
-- covers traceid too, so the unique key below is (appid, timestamp, fingerprint): two different entries
-- sharing traceid and timestamp are both kept, and re-reading an entry never stores it twice.
CREATE TABLE log_entries (
  id              INTEGER PRIMARY KEY,
  appid           TEXT    NOT NULL,
  traceid         TEXT,
  timestamp       INTEGER NOT NULL,
  level           INTEGER,
  platform        INTEGER,
  library_version TEXT,
  client_version  TEXT,
  openid          TEXT,
  url             TEXT,
  filter_msg      TEXT,
  msg             TEXT    NOT NULL,          -- the entry's msg array as JSON, as served
  extra           TEXT,                      -- fields the API added that wxlog does not know yet, as JSON
  fingerprint     BLOB    NOT NULL,
  first_seen_at   INTEGER NOT NULL,
  last_seen_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX log_entries_identity ON log_entries (appid, timestamp, fingerprint);
CREATE INDEX log_entries_traceid ON log_entries (traceid, timestamp);
CREATE INDEX log_entries_openid ON log_entries (openid, timestamp);
CREATE INDEX log_entries_url ON log_entries (url, timestamp);
CREATE INDEX log_entries_level ON log_entries (level, timestamp);
CREATE INDEX log_entries_timestamp ON log_entries (timestamp);

-- One row per element of an entry's msg array (one log.info/warn/error call).
CREATE TABLE log_messages (
  id       INTEGER PRIMARY KEY,
  entry_id INTEGER NOT NULL REFERENCES log_entries (id) ON DELETE CASCADE,
  seq      INTEGER NOT NULL,
  time     INTEGER,
  level    INTEGER,
  args     TEXT    NOT NULL,                 -- that call's arguments as a JSON array
  text     TEXT    NOT NULL,                 -- the arguments as searchable text
  UNIQUE (entry_id, seq)
);
CREATE INDEX log_messages_level_time ON log_messages (level, time);

-- Full-text index over log_messages.text. The trigram tokenizer matches any substring of three or more
-- characters, so Chinese (written without spaces) is found: 请求失败 finds 网络请求失败.
CREATE VIRTUAL TABLE log_messages_fts USING fts5 (
  text,
  content = 'log_messages',
  content_rowid = 'id',
  tokenize = 'trigram'
);
CREATE TRIGGER log_messages_fts_insert AFTER INSERT ON log_messages BEGIN
  INSERT INTO log_messages_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER log_messages_fts_delete AFTER DELETE ON log_messages BEGIN
  INSERT INTO log_messages_fts (log_messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;

-- getSceneList, refreshed on every run.
CREATE TABLE scenes (
  appid      TEXT    NOT NULL,
  value      TEXT    NOT NULL,
  name       TEXT    NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (appid, value)
);

-- The coverage ledger: one row per time window of a CST day. A day starts as one window; a window that
-- paging cannot read in full is split (status 'split') into two children that cover it exactly.
-- A filtered export (WXLOG_LEVEL, WXLOG_URL, …) keeps its own ledger under filter_key.
CREATE TABLE windows (
  id            INTEGER PRIMARY KEY,
  appid         TEXT    NOT NULL,
  filter_key    TEXT    NOT NULL DEFAULT '',
  date          TEXT    NOT NULL,            -- CST day, YYYYMMDD
  begintime     INTEGER NOT NULL,            -- inclusive
  endtime       INTEGER NOT NULL,            -- inclusive
  parent_id     INTEGER REFERENCES windows (id),
  status        TEXT    NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'incomplete', 'complete', 'split')),
  server_total  INTEGER,                     -- the total the server last reported for this window
  stored_count  INTEGER,                     -- entries stored for this window when last checked
  next_start    INTEGER NOT NULL DEFAULT 0,  -- where an interrupted read resumes
  read_total    INTEGER,                     -- the total when that read began (resume only if unchanged)
  checked_at    INTEGER,
  completed_at  INTEGER,
  expired_at    INTEGER,                     -- set when the day left WeChat's 7-day retention
  note          TEXT,
  UNIQUE (appid, filter_key, begintime, endtime)
);
CREATE INDEX windows_day ON windows (appid, filter_key, date);
CREATE INDEX windows_parent ON windows (parent_id);

-- Which entries a filtered ledger has seen (the unfiltered ledger counts log_entries directly).
CREATE TABLE ledger_entries (
  filter_key TEXT    NOT NULL,
  entry_id   INTEGER NOT NULL REFERENCES log_entries (id) ON DELETE CASCADE,
  timestamp  INTEGER NOT NULL,
  PRIMARY KEY (filter_key, entry_id)
) WITHOUT ROWID;
CREATE INDEX ledger_entries_time ON ledger_entries (filter_key, timestamp);

-- Run history.
CREATE TABLE runs (
  id                 INTEGER PRIMARY KEY,
  command            TEXT    NOT NULL,
  appid              TEXT,
  pid                INTEGER,
  started_at         INTEGER NOT NULL,
  finished_at        INTEGER,
  exit_code          INTEGER,
  search_calls       INTEGER NOT NULL DEFAULT 0,
  entries_new        INTEGER NOT NULL DEFAULT 0,
  entries_seen       INTEGER NOT NULL DEFAULT 0,
  windows_complete   INTEGER,
  windows_incomplete INTEGER,
  rate_limited       INTEGER NOT NULL DEFAULT 0,
  errors             INTEGER NOT NULL DEFAULT 0,
  message            TEXT
);

-- Send times of userlog_search requests: the sliding rate budget shared by every process on this file.
CREATE TABLE search_requests (
  appid TEXT    NOT NULL,
  at_ms INTEGER NOT NULL
);
CREATE INDEX search_requests_time ON search_requests (appid, at_ms);

-- Small facts learnt from the server (the page size that works, the deepest offset it serves).
CREATE TABLE state (
  key        TEXT PRIMARY KEY,
  value      TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

-- One writer per database: the process that holds this row exports; others exit 4.
CREATE TABLE run_lock (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  pid          INTEGER NOT NULL,
  hostname     TEXT    NOT NULL,
  command      TEXT    NOT NULL,
  acquired_at  INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL
);

CREATE VIEW log_entries_cst AS
SELECT e.*,
       datetime(e.timestamp, 'unixepoch', '+8 hours') AS time_cst,
       strftime('%Y%m%d', e.timestamp, 'unixepoch', '+8 hours') AS date_cst,
       CASE WHEN e.level & 8 THEN 'error' WHEN e.level & 4 THEN 'warn' WHEN e.level & 2 THEN 'info'
            ELSE CAST(e.level AS TEXT) END AS level_name
FROM log_entries e;

-- One row per message with its entry's fields, CST datetimes and level names.
CREATE VIEW log_lines AS
SELECT m.id AS message_id,
       e.id AS entry_id,
       e.appid,
       e.traceid,
       e.timestamp,
       datetime(e.timestamp, 'unixepoch', '+8 hours') AS entry_time_cst,
       m.seq,
       m.time,
       datetime(m.time, 'unixepoch', '+8 hours') AS time_cst,
       m.level,
       CASE WHEN m.level & 8 THEN 'error' WHEN m.level & 4 THEN 'warn' WHEN m.level & 2 THEN 'info'
            ELSE CAST(m.level AS TEXT) END AS level_name,
       e.level AS entry_level,
       e.platform,
       CASE e.platform WHEN 1 THEN 'android' WHEN 2 THEN 'ios' ELSE CAST(e.platform AS TEXT) END AS platform_name,
       e.library_version,
       e.client_version,
       e.openid,
       e.url,
       e.filter_msg,
       m.args,
       m.text
FROM log_messages m
JOIN log_entries e ON e.id = m.entry_id;
