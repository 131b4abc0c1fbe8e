-- The rate budget's take (docs/postgres.md, "Rate budget") in one statement, where it took six round trips:
-- the budget row's insert, BEGIN, the row's lock, the count, the record and COMMIT. A worker spends most of a
-- quiet app's time on statements, so with several workers on one machine every round trip is CPU taken from
-- the others.
--
-- Records a search request for p_appid at p_now_ms if fewer than p_limit were recorded in the p_span_ms
-- before it, and returns 0; otherwise records nothing and returns the milliseconds until a slot frees.
-- Called as a statement of its own, it is its own transaction: the lock is held until it returns.
--
-- The app's rate_budgets row is locked FOR UPDATE before the count, so two takers of one app's budget take
-- turns and cannot both take the last slot. The count sees the sends a previous holder committed while this
-- taker waited for the lock: a VOLATILE function (the default) takes a new snapshot for each statement it
-- runs, as a READ COMMITTED transaction does for each of its statements.
CREATE FUNCTION wxlog_take_search_slot(p_appid text, p_now_ms bigint, p_limit integer, p_span_ms bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  blocking bigint;
BEGIN
  PERFORM 1 FROM rate_budgets WHERE appid = p_appid FOR UPDATE;
  IF NOT FOUND THEN
    -- An app's first take. ON CONFLICT: another taker may be creating the row now (it then waits for that
    -- taker's transaction to end).
    INSERT INTO rate_budgets (appid) VALUES (p_appid) ON CONFLICT DO NOTHING;
    PERFORM 1 FROM rate_budgets WHERE appid = p_appid FOR UPDATE;
  END IF;
  SELECT at_ms INTO blocking FROM search_requests
  WHERE appid = p_appid AND at_ms > p_now_ms - p_span_ms
  ORDER BY at_ms DESC LIMIT 1 OFFSET p_limit - 1;
  IF blocking IS NOT NULL THEN
    RETURN blocking + p_span_ms - p_now_ms + 1;
  END IF;
  INSERT INTO search_requests (appid, at_ms) VALUES (p_appid, p_now_ms);
  RETURN 0;
END
$$;

-- Making a month's partitions needs an ACCESS EXCLUSIVE lock on log_entries and log_messages, which waits
-- for every open reader of them (a Grafana query, a `wxlog query` piped to a pager), and every later reader
-- and writer of any app waits behind it. Now: nothing is locked for a month whose partitions exist, and the
-- wait is at most 2 s (lock_timeout, this statement's transaction only): a page that could not make its
-- month fails, and its day is read again by the next pass. The writer also makes next month's partitions
-- ahead, when nobody needs them yet (src/store/postgres/pg-store.ts).
CREATE OR REPLACE FUNCTION wxlog_ensure_month_partition(ts bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  lo bigint := wxlog_cst_month_start(ts);
  hi bigint := wxlog_cst_month_start(lo + 32 * 86400);
  suffix text := to_char(to_timestamp(lo) AT TIME ZONE 'UTC' + interval '8 hours', 'YYYYMM');
BEGIN
  IF to_regclass('log_entries_p' || suffix) IS NOT NULL AND to_regclass('log_messages_p' || suffix) IS NOT NULL THEN
    RETURN;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('wxlog partitions'));
  PERFORM set_config('lock_timeout', '2s', true);
  EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF log_entries FOR VALUES FROM (%s) TO (%s)',
                 'log_entries_p' || suffix, lo, hi);
  EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF log_messages FOR VALUES FROM (%s) TO (%s)',
                 'log_messages_p' || suffix, lo, hi);
END
$$;
