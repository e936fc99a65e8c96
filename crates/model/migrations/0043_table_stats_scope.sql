-- ops.record_table_stats counts the tables the transform owns or reads (quarantine, dw,
-- marts) and no longer staging: staging holds one partition per day, so counting it grew
-- to ~140 ms per day by the end of a simulated year, and its per-batch counts are already
-- in ops.load_audit.
CREATE OR REPLACE FUNCTION ops.record_table_stats(p_run_id bigint, p_batch_date date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    n bigint;
    prev bigint;
    recorded integer := 0;
BEGIN
    FOR t IN
        SELECT format('%I.%I', ns.nspname, c.relname) AS name
        FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
        WHERE ns.nspname IN ('quarantine', 'dw', 'marts')
          AND c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition
        ORDER BY 1
    LOOP
        EXECUTE format('SELECT count(*) FROM %s', t.name) INTO n;
        SELECT s.row_count INTO prev FROM ops.table_stats s
        WHERE s.table_name = t.name ORDER BY s.measured_at DESC, s.stat_id DESC LIMIT 1;
        INSERT INTO ops.table_stats (run_id, batch_date, table_name, row_count, delta)
        VALUES (p_run_id, p_batch_date, t.name, n, n - prev);
        recorded := recorded + 1;
    END LOOP;
    RETURN recorded;
END
$$;
COMMENT ON FUNCTION ops.record_table_stats(bigint, date) IS 'Appends to ops.table_stats the row count of every quarantine, dw and marts table (partitioned parents, not partitions) with its delta since the previous measurement; returns how many tables.';
