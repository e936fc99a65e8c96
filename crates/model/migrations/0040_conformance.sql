-- Conformance helpers of the transform step (retention-model, sql/transform/).

-- Rule 1 of docs/conformance.md, the same as Rust's EventType::normalize: trim (the characters Rust's
-- str::trim removes), lower-case ASCII only (COLLATE "C", so no locale folds a non-ASCII
-- letter into a canonical name), '-' and ' ' become '_', then the synonyms. NULL when the
-- result is not one of the eight canonical types.
CREATE FUNCTION dw.normalize_event_type(raw text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE c
               WHEN 'pageview' THEN 'page_view'
               WHEN 'addtocart' THEN 'add_to_cart'
               WHEN 'checkout' THEN 'begin_checkout'
               WHEN 'page_view' THEN c WHEN 'click' THEN c WHEN 'search' THEN c
               WHEN 'product_view' THEN c WHEN 'add_to_cart' THEN c
               WHEN 'remove_from_cart' THEN c WHEN 'begin_checkout' THEN c WHEN 'purchase' THEN c
           END
    FROM (SELECT translate(lower(btrim(raw,
              E' \t\n\u000B\f\r' || U&'\0085\00A0\1680\2000\2001\2002\2003\2004\2005\2006\2007\2008\2009\200A\2028\2029\202F\205F\3000'
          ) COLLATE "C"), '- ', '__') AS c) AS cleaned
$$;
COMMENT ON FUNCTION dw.normalize_event_type(text) IS 'Conformance rule 1: trim, lower-case, - and space to _, synonyms pageview/addtocart/checkout; NULL when not a canonical event type. Agrees with retention_model::EventType::normalize.';

-- Row counts of every warehouse table (not partitions, not views), with the change since the
-- previous measurement of the same table: what ops.table_stats records after each transform.
CREATE FUNCTION ops.record_table_stats(p_run_id bigint, p_batch_date date) RETURNS integer
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
        WHERE ns.nspname IN ('staging', 'quarantine', 'dw', 'marts')
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
COMMENT ON FUNCTION ops.record_table_stats(bigint, date) IS 'Appends to ops.table_stats the row count of every staging, quarantine, dw and marts table (partitioned parents, not partitions) with its delta since the previous measurement; returns how many tables.';
