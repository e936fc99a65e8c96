-- dw.ensure_fact_partitions, unchanged in effect, no longer emits the NOTICE
-- "relation "fact_move" already exists, skipping" for every month after the first when it
-- creates several partitions in one call (init prepares a whole calendar range).
CREATE OR REPLACE FUNCTION dw.ensure_fact_partitions(first_day date, last_day date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    m date;
    created integer := 0;
    part text;
BEGIN
    FOR m IN SELECT generate_series(date_trunc('month', first_day), date_trunc('month', last_day), interval '1 month')::date LOOP
        part := format('fact_user_events_%s', to_char(m, 'YYYYMM'));
        IF to_regclass(format('dw.%I', part)) IS NULL THEN
            -- Rows of this month that already sit in the default partition must move first.
            IF to_regclass('pg_temp.fact_move') IS NULL THEN
                CREATE TEMP TABLE fact_move (LIKE dw.fact_user_events) ON COMMIT DROP;
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
COMMENT ON FUNCTION dw.ensure_fact_partitions(date, date) IS 'Creates the monthly partitions of dw.fact_user_events covering [first_day, last_day]; returns how many were created.';
