-- wxlog schema for PostgreSQL, version 1 (docs/postgres.md). Released migrations are never edited: add
-- 0002_… instead. The public tables, columns and views are SQLite's (docs/schema.md) as of its migration
-- 0006, in PostgreSQL types. Times are unix seconds (bigint) unless a column says _ms.
--
-- JSON columns (msg, args, extra) are `json`, not `jsonb`: json keeps the text exactly as written (key
-- order, duplicate keys, number spelling such as 1.50), which the export promises ("lossless", SPEC §2);
-- jsonb would reorder keys, drop duplicates and normalise numbers. Cast to jsonb in a query when needed.

-- Substring search that finds Chinese: trigram GIN indexes. pg_trgm is a trusted extension, so the
-- database owner may create it. It classifies characters by the database's ctype, which must be UTF-8
-- (the migrator refuses another before it gets here).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- One realtime-log entry as userlog_search served it. Identity as in SQLite: (appid, timestamp, fingerprint),
-- the fingerprint covering traceid, so two different entries sharing traceid and timestamp are both kept.
-- Partitioned by range of timestamp, one partition per month of the entry's CST day (UTC+8), created on
-- demand by the writer through wxlog_ensure_month_partition below. A unique key of a partitioned table must
-- include the partition key: the identity does, and the primary key is (timestamp, id). Ids come from
-- sequences rather than identity columns, which partitioned tables have only since PostgreSQL 17.
CREATE SEQUENCE log_entries_id_seq AS bigint;
CREATE TABLE log_entries (
  id              bigint NOT NULL DEFAULT nextval('log_entries_id_seq'),
  appid           text   NOT NULL,
  traceid         text,
  timestamp       bigint NOT NULL,
  level           bigint,
  platform        bigint,
  library_version text,
  client_version  text,
  openid          text,
  url             text,
  filter_msg      text,
  msg             json   NOT NULL,           -- the entry's msg array as JSON, as served
  extra           json,                      -- fields the API added that wxlog does not know yet
  fingerprint     bytea  NOT NULL,
  first_seen_at   bigint NOT NULL,
  last_seen_at    bigint NOT NULL,
  window_id       bigint,                    -- for an entry served without a timestamp: the window it is filed under
  PRIMARY KEY (timestamp, id),
  CONSTRAINT log_entries_identity UNIQUE (appid, timestamp, fingerprint)
) PARTITION BY RANGE (timestamp);
ALTER SEQUENCE log_entries_id_seq OWNED BY log_entries.id;
CREATE INDEX log_entries_id ON log_entries (id);
CREATE INDEX log_entries_traceid ON log_entries (traceid, timestamp);
CREATE INDEX log_entries_openid ON log_entries (openid, timestamp);
CREATE INDEX log_entries_url ON log_entries (url, timestamp);
CREATE INDEX log_entries_level ON log_entries (level, timestamp);
CREATE INDEX log_entries_untimed ON log_entries (appid, fingerprint) WHERE window_id IS NOT NULL;

-- One row per element of an entry's msg array. entry_timestamp is the entry's timestamp: the foreign key
-- to a partitioned table must name its whole primary key, and it partitions the messages by the same months,
-- so that dropping a month drops both halves (docs/postgres.md, "Partitions").
CREATE SEQUENCE log_messages_id_seq AS bigint;
CREATE TABLE log_messages (
  id              bigint NOT NULL DEFAULT nextval('log_messages_id_seq'),
  entry_id        bigint NOT NULL,
  entry_timestamp bigint NOT NULL,
  seq             integer NOT NULL,
  time            bigint,
  level           bigint,
  args            json   NOT NULL,           -- that call's arguments as a JSON array, as served
  text            text   NOT NULL,           -- the arguments as searchable text
  logged_at       bigint,                    -- time, else the entry's timestamp: what search orders by
  PRIMARY KEY (entry_timestamp, id),
  UNIQUE (entry_timestamp, entry_id, seq),
  FOREIGN KEY (entry_timestamp, entry_id) REFERENCES log_entries (timestamp, id)
    ON DELETE CASCADE ON UPDATE CASCADE
) PARTITION BY RANGE (entry_timestamp);
ALTER SEQUENCE log_messages_id_seq OWNED BY log_messages.id;
CREATE INDEX log_messages_entry ON log_messages (entry_id);
CREATE INDEX log_messages_newest ON log_messages (logged_at, id, level, entry_id);
-- What SQLite's log_messages_fts does: ILIKE '%请求失败%' finds 网络请求失败 through this index.
CREATE INDEX log_messages_text_trgm ON log_messages USING gin (text gin_trgm_ops);

-- The first second of the CST month holding unix second ts, as unix seconds.
CREATE FUNCTION wxlog_cst_month_start(ts bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
  SELECT extract(epoch FROM date_trunc('month', to_timestamp(ts) AT TIME ZONE 'UTC' + interval '8 hours')
                            - interval '8 hours')::bigint
$$;

-- Creates the partitions of log_entries and log_messages for the CST month holding ts, unless they exist:
-- log_entries_pYYYYMM and log_messages_pYYYYMM. The advisory lock serialises workers that need the same new
-- month at once (CREATE TABLE IF NOT EXISTS alone can still collide in the catalog).
CREATE FUNCTION wxlog_ensure_month_partition(ts bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  lo bigint := wxlog_cst_month_start(ts);
  hi bigint := wxlog_cst_month_start(lo + 32 * 86400);
  suffix text := to_char(to_timestamp(lo) AT TIME ZONE 'UTC' + interval '8 hours', 'YYYYMM');
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('wxlog partitions'));
  EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF log_entries FOR VALUES FROM (%s) TO (%s)',
                 'log_entries_p' || suffix, lo, hi);
  EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF log_messages FOR VALUES FROM (%s) TO (%s)',
                 'log_messages_p' || suffix, lo, hi);
END
$$;

-- getSceneList, refreshed on every run.
CREATE TABLE scenes (
  appid      text   NOT NULL,
  value      text   NOT NULL,
  name       text   NOT NULL,
  updated_at bigint NOT NULL,
  position   integer NOT NULL DEFAULT 0,     -- the order the server listed them in (SQLite keeps rowid order)
  PRIMARY KEY (appid, value)
);

-- The coverage ledger (docs/schema.md, windows).
CREATE TABLE windows (
  id            bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  appid         text    NOT NULL,
  filter_key    text    NOT NULL DEFAULT '',
  date          text    NOT NULL,            -- CST day, YYYYMMDD
  begintime     bigint  NOT NULL,            -- inclusive
  endtime       bigint  NOT NULL,            -- inclusive
  parent_id     bigint  REFERENCES windows (id),
  status        text    NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'incomplete', 'complete', 'split', 'unavailable')),
  server_total  bigint,
  stored_count  bigint,
  next_start    bigint  NOT NULL DEFAULT 0,
  read_total    bigint,
  checked_at    bigint,
  completed_at  bigint,
  expired_at    bigint,
  note          text,
  UNIQUE (appid, filter_key, begintime, endtime)
);
CREATE INDEX windows_day ON windows (appid, filter_key, date);
CREATE INDEX windows_parent ON windows (parent_id);

-- Which entries a filtered ledger has seen. timestamp is the entry's, and the foreign key carries it along
-- when an untimed entry is filed under a narrower window.
CREATE TABLE ledger_entries (
  filter_key text   NOT NULL,
  entry_id   bigint NOT NULL,
  timestamp  bigint NOT NULL,
  PRIMARY KEY (filter_key, entry_id),
  FOREIGN KEY (timestamp, entry_id) REFERENCES log_entries (timestamp, id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX ledger_entries_time ON ledger_entries (filter_key, timestamp);

-- Run history: one row per app per pass; worker is host:pid.
CREATE TABLE runs (
  id                 bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  command            text    NOT NULL,
  appid              text,
  pid                integer,
  worker             text,
  started_at         bigint  NOT NULL,
  finished_at        bigint,
  exit_code          integer,
  search_calls       bigint  NOT NULL DEFAULT 0,
  entries_new        bigint  NOT NULL DEFAULT 0,
  entries_seen       bigint  NOT NULL DEFAULT 0,
  windows_complete   bigint,
  windows_incomplete bigint,
  rate_limited       bigint  NOT NULL DEFAULT 0,
  unexpected_shape   bigint  NOT NULL DEFAULT 0,
  errors             bigint  NOT NULL DEFAULT 0,
  message            text
);
CREATE INDEX runs_app_started ON runs (appid, started_at);

-- One row per app the database has seen.
CREATE TABLE apps (
  appid         text    PRIMARY KEY,
  first_seen_at bigint  NOT NULL,
  last_run_at   bigint,
  last_exit     integer,
  last_error    text
);

-- The rate budget, shared by every worker (docs/postgres.md, "Rate budget"): one row per app, locked
-- FOR UPDATE by the transaction that checks the sliding span and records a send in search_requests, so
-- two workers cannot both take the last slot.
CREATE TABLE rate_budgets (
  appid text PRIMARY KEY
);
CREATE TABLE search_requests (
  appid text   NOT NULL,
  at_ms bigint NOT NULL
);
CREATE INDEX search_requests_time ON search_requests (appid, at_ms);

-- Small facts learnt from the server.
CREATE TABLE state (
  key        text   PRIMARY KEY,
  value      text   NOT NULL,
  updated_at bigint NOT NULL
);

-- Which worker exports which app (docs/postgres.md, "Leases and fencing"): taken with FOR UPDATE SKIP LOCKED, renewed
-- while the worker works, taken over once expired. epoch grows by one at every taking; every page write
-- checks it in its own transaction (the fence). expires_at is on the database's clock, the one clock all
-- workers share. A free lease (never taken, or released) has worker and expires_at NULL.
CREATE TABLE leases (
  appid      text        PRIMARY KEY,
  worker     text,
  epoch      bigint      NOT NULL DEFAULT 0,
  taken_at   timestamptz,
  expires_at timestamptz
);

-- The CST datetime of unix second ts, as SQLite's views write it: 'YYYY-MM-DD HH:MM:SS'.
CREATE FUNCTION wxlog_cst(ts bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT to_char(to_timestamp(ts) AT TIME ZONE 'UTC' + interval '8 hours', 'YYYY-MM-DD HH24:MI:SS')
$$;

CREATE FUNCTION wxlog_level_name(level bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN level & 8 <> 0 THEN 'error' WHEN level & 4 <> 0 THEN 'warn' WHEN level & 2 <> 0 THEN 'info'
              ELSE level::text END
$$;

CREATE VIEW log_entries_cst AS
SELECT e.*,
       wxlog_cst(e.timestamp) AS time_cst,
       to_char(to_timestamp(e.timestamp) AT TIME ZONE 'UTC' + interval '8 hours', 'YYYYMMDD') AS date_cst,
       wxlog_level_name(e.level) AS level_name
FROM log_entries e;

-- One row per message with its entry's fields, CST datetimes and level names.
CREATE VIEW log_lines AS
SELECT m.id AS message_id,
       e.id AS entry_id,
       e.appid,
       e.traceid,
       e.timestamp,
       wxlog_cst(e.timestamp) AS entry_time_cst,
       m.seq,
       m.time,
       wxlog_cst(m.time) AS time_cst,
       m.level,
       wxlog_level_name(m.level) AS level_name,
       e.level AS entry_level,
       e.platform,
       CASE e.platform WHEN 1 THEN 'android' WHEN 2 THEN 'ios' ELSE e.platform::text END AS platform_name,
       e.library_version,
       e.client_version,
       e.openid,
       e.url,
       e.filter_msg,
       m.args,
       m.text
FROM log_messages m
JOIN log_entries e ON e.timestamp = m.entry_timestamp AND e.id = m.entry_id;
