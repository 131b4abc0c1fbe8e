-- Narrow copies of what `wxlog search` sorts and filters on. A common phrase matches tens of thousands of
-- messages; ordering them newest first then reads these small index entries instead of every matching
-- message row (with its text and arguments) and entry row.
CREATE INDEX log_messages_search_order ON log_messages (id, time, level, entry_id);
CREATE INDEX log_entries_search_order ON log_entries (id, timestamp, appid);
