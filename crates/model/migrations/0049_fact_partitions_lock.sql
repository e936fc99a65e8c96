-- Two callers of dw.ensure_fact_partitions at once (two `retention init`s, as a DAG with
-- overlapping days runs them, or init beside a transform) both saw a month's partition
-- missing and both created it: the second failed with "relation ... already exists". Found by
-- the CeleryExecutor backfill test. The function now locks the partitioned table in SHARE
-- UPDATE EXCLUSIVE mode (which conflicts with itself, not with the inserts of a running
-- transform) before it creates anything, and looks again under the lock (taking a table lock
-- also makes the session see catalog changes committed meanwhile; an advisory lock would not).
-- A call that finds every partition there takes no lock. Otherwise the same function as 0048
-- (SECURITY DEFINER, pinned search_path).
--
-- The same test then found dw.fill_dim_date racing too: its ON CONFLICT named only date_key,
-- so a concurrent insert of the same day hit the other unique index (on date) and failed with
-- "duplicate key value violates unique constraint dim_date_date_key". Every unique index is
-- an arbiter now (ON CONFLICT DO NOTHING); the two keys are one-to-one, so nothing else
-- changes.
CREATE OR REPLACE FUNCTION dw.ensure_fact_partitions(first_day date, last_day date) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m date;
    created integer := 0;
    part text;
    fresh boolean := false;
    locked boolean := false;
BEGIN
    FOR m IN SELECT generate_series(date_trunc('month', first_day), date_trunc('month', last_day), interval '1 month')::date LOOP
        part := format('fact_user_events_%s', to_char(m, 'YYYYMM'));
        IF to_regclass(format('dw.%I', part)) IS NULL AND NOT locked THEN
            -- Another transaction may be creating it right now: wait for it, then look again.
            LOCK TABLE dw.fact_user_events IN SHARE UPDATE EXCLUSIVE MODE;
            locked := true;
        END IF;
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

CREATE OR REPLACE FUNCTION dw.fill_dim_date(first_day date, last_day date) RETURNS integer
LANGUAGE sql AS $$
    WITH ins AS (
        INSERT INTO dw.dim_date
        SELECT to_char(d, 'YYYYMMDD')::integer,
               d::date,
               extract(year FROM d)::smallint,
               extract(quarter FROM d)::smallint,
               extract(month FROM d)::smallint,
               trim(to_char(d, 'Month')),
               extract(day FROM d)::smallint,
               extract(isodow FROM d)::smallint,
               trim(to_char(d, 'Day')),
               extract(isoyear FROM d)::smallint,
               extract(week FROM d)::smallint,
               date_trunc('week', d)::date,
               date_trunc('month', d)::date,
               extract(isodow FROM d) IN (6, 7)
        FROM generate_series(first_day, last_day, interval '1 day') AS d
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT count(*)::integer FROM ins
$$;
