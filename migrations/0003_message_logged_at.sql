-- When each log call was made, on the message row itself: the message's own `time`, or its entry's
-- `timestamp` when the call carries none. `wxlog search` orders by it; with it in the message's covering
-- index, the newest matches of a common phrase come from that one narrow index, without joining every
-- matching message to its entry first.
ALTER TABLE log_messages ADD COLUMN logged_at INTEGER;

UPDATE log_messages
SET logged_at = coalesce(time, (SELECT e.timestamp FROM log_entries e WHERE e.id = log_messages.entry_id));

-- Replaces 0002's (id, time, level, entry_id): same width, ordered by what search sorts on. entry_id stays
-- for the appid filter of a file that holds several apps.
DROP INDEX log_messages_search_order;
CREATE INDEX log_messages_search_order ON log_messages (id, logged_at, level, entry_id);
