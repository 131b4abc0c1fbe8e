-- Lookups by traceid, openid and url through hash indexes, where 0001 had btrees on (column, timestamp).
--
-- A btree's entry holds the value itself, and PostgreSQL refuses one of more than about 2.7 KB even after
-- compression ("index row size … exceeds btree version 4 maximum 2704"). The entries are WeChat's, as served:
-- a url (or a traceid, an openid) longer than that failed its whole page, every time the page was read, and the
-- window's later entries were never stored. A hash index holds a 4-byte hash of the value, so no length is
-- refused, and it serves `WHERE traceid = …` as the btree did (docs/postgres.md, "Schema differences from SQLite").
-- What it does not do is return one value's rows in timestamp order: they are sorted after they are read,
-- which costs little for the rows of one trace, one user or one page.
--
-- Building them locks each month's partition against writes while it is indexed: on a large database, run
-- `wxlog migrate` once, before the workers start (docs/postgres.md, "Migrations").
DROP INDEX log_entries_traceid;
DROP INDEX log_entries_openid;
DROP INDEX log_entries_url;
CREATE INDEX log_entries_traceid ON log_entries USING hash (traceid);
CREATE INDEX log_entries_openid ON log_entries USING hash (openid);
CREATE INDEX log_entries_url ON log_entries USING hash (url);
