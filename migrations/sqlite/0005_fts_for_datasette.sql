-- Datasette offers its search box on log_messages only if it finds an FTS table whose SQL says
-- content="log_messages" (or content=[log_messages]) word for word: its detect_fts is a LIKE over
-- sqlite_master.sql. 0001 wrote content = 'log_messages', which FTS5 reads the same but Datasette does
-- not see. The index is made again with the same columns, tokenizer and triggers, then rebuilt from
-- log_messages (an external-content table keeps no text of its own, so nothing is lost).
DROP TRIGGER log_messages_fts_insert;
DROP TRIGGER log_messages_fts_delete;
DROP TABLE log_messages_fts;

CREATE VIRTUAL TABLE log_messages_fts USING fts5(text, content="log_messages", content_rowid="id", tokenize="trigram");

CREATE TRIGGER log_messages_fts_insert AFTER INSERT ON log_messages BEGIN
  INSERT INTO log_messages_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER log_messages_fts_delete AFTER DELETE ON log_messages BEGIN
  INSERT INTO log_messages_fts (log_messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;

INSERT INTO log_messages_fts (log_messages_fts) VALUES ('rebuild');
