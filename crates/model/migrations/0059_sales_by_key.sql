-- The sales marts without rereading a period's purchases. Orders and buyers are distinct
-- counts, so the transform recomputed every week and month its batch touched from all their
-- purchase facts: on the 25th of a --scale 210 month (~100,000 purchases so far) 2.0 s of the
-- transform, 4.3 s with cold caches, and more each day until the month ends (BENCHMARKS.md,
-- issue 13). The index meant to make that read cheap (0045's fact_user_events_purchase_idx)
-- only helps once a VACUUM has marked the partition's pages all-visible; without it every page
-- of the month is read.
--
-- mart_state.sales_keys keeps, per week and month, each order_id and each buyer with the
-- number of purchase facts that carry it. The transform adds the batch's purchases (and
-- subtracts a re-run's previous ones), one index probe per key: a period's orders and buyers
-- change by the keys that appear or disappear, its units, revenue and purchase events by the
-- batch's sums (marts.sql). The purchase index has no reader left and is dropped.

CREATE TABLE mart_state.sales_keys (
    grain        text             NOT NULL CHECK (grain IN ('week', 'month')),
    period_start date             NOT NULL,
    kind         text             NOT NULL CHECK (kind IN ('order', 'buyer')),
    key          text COLLATE "C" NOT NULL,
    purchases    bigint           NOT NULL CHECK (purchases > 0),
    PRIMARY KEY (grain, period_start, kind, key)
);
COMMENT ON TABLE mart_state.sales_keys IS 'Per ISO week and calendar month (grain, period_start): every order_id (kind order) and buyer user_id (kind buyer, as text) of the period''s purchase facts, with how many purchase facts carry it. The distinct counts of mart_state.sales_weeks and sales_months are the rows per period.';

CREATE FUNCTION mart_state.rebuild_32_sales_keys() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE mart_state.sales_keys;
    INSERT INTO mart_state.sales_keys
    SELECT g.grain, g.period_start, k.kind, k.key, count(*)
    FROM dw.fact_user_events f
    CROSS JOIN LATERAL (VALUES ('week', date_trunc('week', f.event_date)::date),
                               ('month', date_trunc('month', f.event_date)::date)) AS g(grain, period_start)
    CROSS JOIN LATERAL (VALUES ('order', f.order_id), ('buyer', f.user_id::text)) AS k(kind, key)
    WHERE f.event_type = 'purchase' AND k.key IS NOT NULL
    GROUP BY 1, 2, 3, 4;
END
$$;
SELECT mart_state.rebuild_32_sales_keys();

DROP INDEX dw.fact_user_events_purchase_idx;
