-- Least privilege (sql/access/, README "Roles and least privilege"): the transforming role
-- creates the monthly partitions of dw.fact_user_events, which PostgreSQL allows only to the
-- owner of the partitioned table. Rather than give that role the table (and with it ALTER,
-- DROP and CREATE in dw), dw.ensure_fact_partitions now runs with the rights of its owner,
-- the role that migrates, and only it can be called: EXECUTE is taken from PUBLIC and
-- `retention init` grants it to the transforming role. Same effect as 0044.
--
-- A SECURITY DEFINER function must not let its caller choose what it runs: search_path is
-- pinned (pg_catalog first; pg_temp last, where PostgreSQL never looks for functions or
-- operators), every table is schema-qualified, and the scratch table is always the one made
-- here: a pg_temp.fact_move the caller made beforehand in its own session (a view with a
-- trigger, say) is dropped, or stops the call when it is not a table.
CREATE OR REPLACE FUNCTION dw.ensure_fact_partitions(first_day date, last_day date) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m date;
    created integer := 0;
    part text;
    fresh boolean := false;
BEGIN
    FOR m IN SELECT generate_series(date_trunc('month', first_day), date_trunc('month', last_day), interval '1 month')::date LOOP
        part := format('fact_user_events_%s', to_char(m, 'YYYYMM'));
        IF to_regclass(format('dw.%I', part)) IS NULL THEN
            -- Rows of this month that already sit in the default partition must move first.
            IF NOT fresh THEN
                IF to_regclass('pg_temp.fact_move') IS NOT NULL THEN
                    DROP TABLE pg_temp.fact_move;
                END IF;
                CREATE TEMP TABLE fact_move (LIKE dw.fact_user_events) ON COMMIT DROP;
                fresh := true;
            END IF;
            WITH moved AS (
                DELETE FROM dw.fact_user_events_default
                WHERE event_date >= m AND event_date < (m + interval '1 month')::date
                RETURNING *
            )
            INSERT INTO pg_temp.fact_move SELECT * FROM moved;
            EXECUTE format('CREATE TABLE dw.%I PARTITION OF dw.fact_user_events FOR VALUES FROM (%L) TO (%L)',
                           part, m, (m + interval '1 month')::date);
            INSERT INTO dw.fact_user_events SELECT * FROM pg_temp.fact_move;
            TRUNCATE pg_temp.fact_move;
            created := created + 1;
        END IF;
    END LOOP;
    RETURN created;
END
$$;
COMMENT ON FUNCTION dw.ensure_fact_partitions(date, date) IS 'Creates the monthly partitions of dw.fact_user_events covering [first_day, last_day]; returns how many were created. Runs with its owner''s rights; EXECUTE only for the owner and the transforming role (retention init).';
REVOKE EXECUTE ON FUNCTION dw.ensure_fact_partitions(date, date) FROM PUBLIC;
