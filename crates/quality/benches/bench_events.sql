-- Benchmark batch for the quality engine: 1,000,000 rows of staging.events for 2026-03-10
-- with the default generator's mess rates (0.4% duplicated events, 0.2% missing user ids,
-- 1% event-type variants, 0.1% unknown types, 0.1% timestamps out of range, 0.8% late
-- events, 1% invalid purchases). Run on a migrated warehouse:
--   psql "$URL" -v ON_ERROR_STOP=1 -f crates/quality/benches/bench_events.sql
DROP TABLE IF EXISTS staging.events_20260310;
CREATE TABLE staging.events_20260310 PARTITION OF staging.events FOR VALUES IN ('2026-03-10');

INSERT INTO staging.events_20260310 (batch_date, source_line, event_id, event_ts, user_id,
    session_id, event_type, page_url, product_id, quantity, unit_price, order_id, device, country)
SELECT date '2026-03-10',
       i + 1,
       md5(i::text)::uuid::text,
       CASE WHEN i % 1000 = 4 THEN timestamptz '2099-01-01 00:00+00'
            WHEN i % 125 = 5 THEN timestamptz '2026-03-08 00:00+00' + (i % 86400) * interval '1 second'
            ELSE timestamptz '2026-03-10 00:00+00' + (i % 86400) * interval '1 second' END,
       CASE WHEN i % 500 = 1 THEN NULL ELSE (i::bigint * 7919) % 90000 END,
       md5((i / 6)::text),
       CASE WHEN i % 100 = 2 THEN 'PageView'
            WHEN i % 1000 = 3 THEN 'teleport'
            WHEN i % 10 = 0 THEN 'purchase'
            ELSE (ARRAY['page_view', 'click', 'search', 'product_view', 'add_to_cart', 'remove_from_cart', 'begin_checkout'])[1 + i % 7] END,
       '/p/' || (i % 5000),
       CASE WHEN i % 10 = 0 THEN i % 3000 END,
       CASE WHEN i % 10 = 0 THEN CASE WHEN i % 1000 = 0 THEN 150 ELSE 1 + i % 4 END END,
       CASE WHEN i % 10 = 0 THEN (5 + (i % 20000) / 100.0)::numeric(12,2) END,
       CASE WHEN i % 10 = 0 THEN md5('o' || i) END,
       (ARRAY['desktop', 'mobile', 'tablet'])[1 + i % 3],
       (ARRAY['US', 'GB', 'DE', 'FR', 'IN'])[1 + i % 5]
FROM generate_series(0, 995999) AS i;

-- 4,000 byte-exact duplicates (8,000 non-unique rows under GE's rule).
INSERT INTO staging.events_20260310
SELECT * FROM staging.events_20260310 WHERE source_line % 249 = 0 LIMIT 4000;

ANALYZE staging.events_20260310;
