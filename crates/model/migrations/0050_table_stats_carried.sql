-- ops.record_table_stats counted every quarantine and dw table with count(*) after each
-- transform. The facts, their event_id register and the weekly summary grow by a day's batch
-- every day (~275k facts a day at --scale 210, 100M in a year), so the count grew with the
-- warehouse: 0.7 s a day after 10 such days, tens of seconds by the end of a year.
--
-- Those three tables are written by the transform alone. When the transform measures them in
-- its own transaction, the exact count is the last exact count plus the rows its statements
-- inserted minus those they deleted, which it passes in: no scan. (Not pg_stat_xact_*: since
-- PostgreSQL 15 its counts include earlier transactions of the session not yet flushed to the
-- cumulative statistics.) ops.table_row_counts keeps the last exact count of every
-- table measured; a table without one (the first measurement, or after the row was deleted)
-- is counted. A write to one of those tables outside the transform (a manual fix, a future
-- rebuild) must delete its ops.table_row_counts row, so that the next measurement counts it.

CREATE TABLE ops.table_row_counts (
    table_name text PRIMARY KEY,
    row_count  bigint      NOT NULL CHECK (row_count >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE ops.table_row_counts IS 'The last exact row count of each table ops.record_table_stats measured: the base it carries the transform''s own tables from (their count plus the transaction''s inserts minus its deletes). Delete a row to have the table counted again.';

DROP FUNCTION ops.record_table_stats(bigint, date);

CREATE FUNCTION ops.record_table_stats(p_run_id bigint, p_batch_date date,
                                       p_carried text[] DEFAULT '{}', p_deltas bigint[] DEFAULT '{}')
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    n bigint;
    base bigint;
    prev bigint;
    recorded integer := 0;
    i integer;
BEGIN
    IF coalesce(cardinality(p_carried), 0) <> coalesce(cardinality(p_deltas), 0) THEN
        RAISE EXCEPTION 'record_table_stats: % carried tables but % deltas',
            cardinality(p_carried), cardinality(p_deltas);
    END IF;
    -- One measurement at a time (two transforms of different days may run at once): the
    -- second waits for the first to commit, then carries from what the first recorded.
    LOCK TABLE ops.table_row_counts IN SHARE ROW EXCLUSIVE MODE;
    FOR t IN
        SELECT format('%I.%I', ns.nspname, c.relname) AS name, c.oid AS relid
        FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
        WHERE ns.nspname IN ('quarantine', 'dw', 'marts')
          AND c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
        ORDER BY 1
    LOOP
        base := NULL;
        i := array_position(p_carried, t.name);
        IF i IS NOT NULL THEN
            SELECT r.row_count INTO base FROM ops.table_row_counts r WHERE r.table_name = t.name;
        END IF;
        IF base IS NULL THEN
            EXECUTE format('SELECT count(*) FROM %s', t.name) INTO n;
        ELSE
            n := base + p_deltas[i];
        END IF;
        INSERT INTO ops.table_row_counts AS r (table_name, row_count) VALUES (t.name, n)
        ON CONFLICT (table_name) DO UPDATE SET row_count = excluded.row_count, updated_at = now();
        SELECT s.row_count INTO prev FROM ops.table_stats s
        WHERE s.table_name = t.name ORDER BY s.measured_at DESC, s.stat_id DESC LIMIT 1;
        INSERT INTO ops.table_stats (run_id, batch_date, table_name, row_count, delta)
        VALUES (p_run_id, p_batch_date, t.name, n, n - prev);
        recorded := recorded + 1;
    END LOOP;
    RETURN recorded;
END
$$;
COMMENT ON FUNCTION ops.record_table_stats(bigint, date, text[], bigint[]) IS 'Appends to ops.table_stats the row count of every quarantine, dw and marts table (partitioned parents, not partitions) with its delta since the previous measurement; returns how many tables. Tables named in p_carried must have been written since their last measurement only by the calling transaction, whose net change of each is the same position of p_deltas: their count is carried (ops.table_row_counts plus the delta) instead of counted.';
