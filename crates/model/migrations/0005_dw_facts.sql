-- Facts. fact_user_events holds one row per event_id (conformance guarantees it: a unique key
-- on a partitioned table must include the partition column, so the key is
-- (event_id, event_date)); partitioned by month of event_date. Partitions are created by
-- dw.ensure_fact_partitions for the months a batch touches; a DEFAULT partition catches the rest.

CREATE TABLE dw.fact_user_events (
    event_id    text COLLATE "C" NOT NULL,
    event_date  date        NOT NULL,
    date_key    integer     NOT NULL,
    batch_date  date        NOT NULL,
    event_ts    timestamptz NOT NULL,
    user_id     bigint      NOT NULL,
    user_sk     bigint      NOT NULL,
    product_id  bigint,
    product_sk  bigint,
    session_id  text COLLATE "C",
    event_type  text        NOT NULL CHECK (event_type IN ('page_view', 'click', 'search',
                    'product_view', 'add_to_cart', 'remove_from_cart', 'begin_checkout', 'purchase')),
    page_url    text,
    quantity    bigint,
    unit_price  numeric(12,2),
    order_id    text COLLATE "C",
    device      text,
    country     text,
    source_line bigint      NOT NULL,
    loaded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, event_date),
    CHECK (event_date = (event_ts AT TIME ZONE 'UTC')::date),
    CHECK (event_date <= batch_date AND event_date >= batch_date - 7),
    CHECK (event_type <> 'purchase' OR (quantity BETWEEN 1 AND 100 AND unit_price > 0 AND order_id IS NOT NULL))
) PARTITION BY RANGE (event_date);
CREATE TABLE dw.fact_user_events_default PARTITION OF dw.fact_user_events DEFAULT;
CREATE INDEX fact_user_events_batch_idx ON dw.fact_user_events (batch_date);
CREATE INDEX fact_user_events_user_idx ON dw.fact_user_events (user_id, event_date);
COMMENT ON TABLE dw.fact_user_events IS 'One row per conformed event (event_id unique), with point-in-time user_sk/product_sk; partitioned by month of event_date; batch_date is the day it arrived.';
COMMENT ON COLUMN dw.fact_user_events.loaded_at IS 'Audit column: when the row was written (changes on re-run).';

CREATE FUNCTION dw.ensure_fact_partitions(first_day date, last_day date) RETURNS integer
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
            CREATE TEMP TABLE IF NOT EXISTS pg_temp.fact_move (LIKE dw.fact_user_events) ON COMMIT DROP;
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

CREATE TABLE dw.fact_user_weekly_summary (
    user_id      bigint        NOT NULL,
    week_start   date          NOT NULL CHECK (extract(isodow FROM week_start) = 1),
    user_sk      bigint        NOT NULL,
    daily_events integer[]     NOT NULL CHECK (array_ndims(daily_events) = 1 AND cardinality(daily_events) = 7),
    total_events integer       NOT NULL CHECK (total_events >= 0),
    active_days  smallint      NOT NULL CHECK (active_days BETWEEN 0 AND 7),
    purchases    integer       NOT NULL CHECK (purchases >= 0),
    revenue      numeric(14,2) NOT NULL,
    updated_at   timestamptz   NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, week_start)
);
COMMENT ON TABLE dw.fact_user_weekly_summary IS 'Per user and ISO week: daily_events is the count of fact events on each day Monday..Sunday, plus totals; recomputed for every (user, week) a batch touches.';
COMMENT ON COLUMN dw.fact_user_weekly_summary.user_sk IS 'The user version current at the end of the week (or the last one).';
