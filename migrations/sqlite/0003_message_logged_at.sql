-- When each log call was made, on the message row itself: the message's own `time`, or its entry's
-- `timestamp` when the call carries none. `wxlog search` orders by it.
ALTER TABLE log_messages ADD COLUMN logged_at INTEGER;

UPDATE log_messages
SET logged_at = coalesce(time, (SELECT e.timestamp FROM log_entries e WHERE e.id = log_messages.entry_id));

-- Every message, newest first, in a narrow index. For a phrase with many matches, `wxlog search` walks it
-- from the newest end and stops at the limit, instead of looking up and sorting every match (20,000 for
-- a common phrase on 1M entries). It replaces 0002's (id, time, level, entry_id): a phrase with few
-- matches is looked up by rowid, which needs no index. entry_id serves the appid filter.
DROP INDEX log_messages_search_order;
CREATE INDEX log_messages_newest ON log_messages (logged_at, id, level, entry_id);
