-- The product panels of the dashboards read marts.product_popularity_weekly, one row per
-- (week, product): ~46,000 a week at --scale 210. "Top products by week" ranked every row of
-- the range, "Revenue per week by category" and the category variable grouped them all: at
-- 14 weeks 1.5-2.1 s, 0.5-1.6 s and 0.4-0.9 s, four times that at the end of a year
-- (BENCHMARKS.md, issue 13). Two reads that cost the weeks, not the products:
--
-- * mart_state.category_weeks: per week and category (each product's latest, as the view
--   shows it), how many products had a row that week and their revenue. The transform
--   recomputes the weeks its batch touched (marts.sql); a product whose latest category
--   changes moves its weeks from the old category to the new one (the dim_product trigger).
-- * marts.top_products_weekly(from, to, categories, n): each week's n best products within
--   the categories, read in revenue order from an index and stopped at n.

CREATE TABLE mart_state.category_weeks (
    week_start date          NOT NULL,
    category   text,
    products   bigint        NOT NULL,
    revenue    numeric(14,2) NOT NULL,
    CONSTRAINT category_weeks_key UNIQUE NULLS NOT DISTINCT (week_start, category)
);
COMMENT ON TABLE mart_state.category_weeks IS 'Per ISO week and product category (the latest of each product, NULL for a product without a dw.dim_product row): the products with a row in mart_state.product_weeks that week and the sum of their revenue.';

CREATE VIEW marts.category_revenue_weekly AS
SELECT week_start, category, products, revenue
FROM mart_state.category_weeks;
COMMENT ON VIEW marts.category_revenue_weekly IS 'Per ISO week and product category (each product''s latest; NULL when the product is not in dw.dim_product): how many products had a view, add-to-cart or purchase that week and their revenue. Equals marts.product_popularity_weekly grouped by week and category.';
COMMENT ON COLUMN marts.category_revenue_weekly.week_start IS 'Monday of the ISO week (UTC).';
COMMENT ON COLUMN marts.category_revenue_weekly.category IS 'The category of each product''s latest dw.dim_product version; NULL for products not in dw.dim_product.';
COMMENT ON COLUMN marts.category_revenue_weekly.products IS 'Products of the category with a product view, add-to-cart or purchase that week (rows of marts.product_popularity_weekly).';
COMMENT ON COLUMN marts.category_revenue_weekly.revenue IS 'Sum of quantity x unit_price of those products'' purchases that week.';

CREATE FUNCTION mart_state.rebuild_42_category_weeks() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE mart_state.category_weeks;
    INSERT INTO mart_state.category_weeks
    SELECT w.week_start, p.category, count(*), sum(w.revenue)
    FROM mart_state.product_weeks w
    LEFT JOIN mart_state.products p ON p.product_id = w.product_id
    GROUP BY 1, 2;
END
$$;
SELECT mart_state.rebuild_42_category_weeks();

-- The products the trigger refreshes: one whose latest category changes (a new product, a
-- product gone, a recategorised one) takes each of its weeks from the old category to the
-- new. Its weeks are found by the primary key of product_weeks, one probe per week the
-- warehouse has (category_weeks lists them), not by a scan of every product-week. jit off:
-- the planner cannot know how few products move and costs the move past jit_above_cost; JIT
-- compilation then took ~0.4 s of every dim_product statement of scd (a 420-row update: trigger
-- 439 ms with JIT, see BENCHMARKS.md), for a statement that reads a few dozen rows.
CREATE OR REPLACE FUNCTION mart_state.refresh_products() RETURNS trigger
LANGUAGE plpgsql SET jit = off AS $$
BEGIN
    WITH keys AS (
        SELECT DISTINCT product_id FROM changed
    ), latest AS (
        SELECT DISTINCT ON (d.product_id) d.product_id, d.category
        FROM dw.dim_product d JOIN keys k ON k.product_id = d.product_id
        ORDER BY d.product_id, d.valid_from DESC
    ), moved AS (
        SELECT k.product_id, p.category AS old_category, l.category AS new_category
        FROM keys k
        LEFT JOIN mart_state.products p ON p.product_id = k.product_id
        LEFT JOIN latest l ON l.product_id = k.product_id
        WHERE p.category IS DISTINCT FROM l.category
    ), weeks AS (
        SELECT DISTINCT week_start FROM mart_state.category_weeks
    )
    INSERT INTO mart_state.category_weeks AS c (week_start, category, products, revenue)
    SELECT w.week_start, x.category, sum(x.sign), sum(x.sign * w.revenue)
    FROM moved m
    CROSS JOIN weeks k
    CROSS JOIN LATERAL (
        SELECT pw.week_start, pw.revenue FROM mart_state.product_weeks pw
        WHERE pw.week_start = k.week_start AND pw.product_id = m.product_id
        OFFSET 0
    ) w
    CROSS JOIN LATERAL (VALUES (-1, m.old_category), (1, m.new_category)) x(sign, category)
    GROUP BY 1, 2
    ON CONFLICT ON CONSTRAINT category_weeks_key DO UPDATE
        SET products = c.products + excluded.products, revenue = c.revenue + excluded.revenue;
    -- A (week, category) its last product left (a few thousand rows a year: weeks x categories).
    DELETE FROM mart_state.category_weeks WHERE products = 0;
    DELETE FROM mart_state.products p USING (SELECT DISTINCT product_id FROM changed) c
    WHERE p.product_id = c.product_id;
    INSERT INTO mart_state.products
    SELECT DISTINCT ON (d.product_id) d.product_id, d.name, d.category, d.brand
    FROM dw.dim_product d
    JOIN (SELECT DISTINCT product_id FROM changed) c ON c.product_id = d.product_id
    ORDER BY d.product_id, d.valid_from DESC;
    RETURN NULL;
END
$$;

-- Only the product-weeks with revenue are indexed in revenue order: those rank before every
-- product-week without revenue, and only a purchase changes them (~1,600 rows a day at
-- --scale 210, against ~18,000 product rows whose views or carts a day changes; an update of a
-- row without revenue writes nothing in this index). With a full index on (week_start, revenue, ...), updating the revenue of
-- a week's 47,444 rows took 0.71-0.92 s instead of 0.31-0.42 s (BENCHMARKS.md).
CREATE INDEX product_weeks_by_revenue
    ON mart_state.product_weeks (week_start, revenue DESC, units DESC, product_id)
    WHERE revenue > 0;

-- One week's p_limit best products within p_categories (see marts.top_products_weekly): first
-- those with revenue, from the partial index in revenue order; the rest only when fewer were
-- found (a quiet week, a small category), sorted then. jit off: these are index reads of a
-- few rows, which the planner's estimates can cost past jit_above_cost.
CREATE FUNCTION mart_state.top_products_of_week(p_week date, p_categories text[], p_limit integer)
RETURNS TABLE (product_id bigint, product_name text, category text, brand text,
               product_views bigint, add_to_carts bigint, purchases bigint, units bigint,
               revenue numeric)
LANGUAGE plpgsql STABLE SET jit = off AS $$
DECLARE
    found_rows bigint;
BEGIN
    RETURN QUERY
        SELECT w.product_id, p.name, p.category, p.brand, w.product_views, w.add_to_carts,
               w.purchases, w.units, w.revenue
        FROM mart_state.product_weeks w
        LEFT JOIN mart_state.products p ON p.product_id = w.product_id
        WHERE w.week_start = p_week AND w.revenue > 0
          AND (p_categories IS NULL
               OR EXISTS (SELECT 1 FROM unnest(p_categories) c WHERE c IS NOT DISTINCT FROM p.category))
        ORDER BY w.revenue DESC, w.units DESC, w.product_id
        LIMIT p_limit;
    GET DIAGNOSTICS found_rows = ROW_COUNT;
    IF found_rows < p_limit THEN
        RETURN QUERY
            SELECT w.product_id, p.name, p.category, p.brand, w.product_views, w.add_to_carts,
                   w.purchases, w.units, w.revenue
            FROM mart_state.product_weeks w
            LEFT JOIN mart_state.products p ON p.product_id = w.product_id
            WHERE w.week_start = p_week AND NOT w.revenue > 0
              AND (p_categories IS NULL
                   OR EXISTS (SELECT 1 FROM unnest(p_categories) c WHERE c IS NOT DISTINCT FROM p.category))
            ORDER BY w.revenue DESC, w.units DESC, w.product_id
            LIMIT p_limit - found_rows;
    END IF;
END
$$;

-- SECURITY DEFINER: it reads mart_state, which only the marts views' owner may read (the BI
-- role may not); search_path is pinned so that a caller cannot choose what it runs. jit off:
-- the planner takes generate_series for 1,000 weeks, costs the query past jit_above_cost and
-- spent ~0.38 s compiling a query that runs in under 1 ms (7 weeks at --scale 210).
CREATE FUNCTION marts.top_products_weekly(p_from date, p_to date, p_categories text[] DEFAULT NULL,
                                          p_limit integer DEFAULT 10)
RETURNS TABLE (week_start date, rank_in_selection bigint, product_id bigint, product_name text,
               category text, brand text, product_views bigint, add_to_carts bigint,
               purchases bigint, units bigint, revenue numeric)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
    SELECT k.week_start,
           rank() OVER (PARTITION BY k.week_start ORDER BY t.revenue DESC, t.units DESC),
           t.product_id, t.product_name, t.category, t.brand, t.product_views, t.add_to_carts,
           t.purchases, t.units, t.revenue
    FROM generate_series(date_trunc('week', p_from), p_to, interval '1 week') g(week_ts)
    CROSS JOIN LATERAL (SELECT g.week_ts::date AS week_start) k
    CROSS JOIN LATERAL mart_state.top_products_of_week(k.week_start, p_categories, p_limit) t
    ORDER BY k.week_start DESC, t.revenue DESC, t.units DESC, t.product_id
$$;
COMMENT ON FUNCTION marts.top_products_weekly(date, date, text[], integer) IS 'For each ISO week whose Monday lies in [date_trunc(''week'', p_from), p_to]: its p_limit best products of marts.product_popularity_weekly by revenue, then units, then product_id, among the products whose category is in p_categories (NULL: every product; a NULL element matches the products without a category). rank_in_selection: 1 + how many of them rank strictly ahead by (revenue, units), so ties share a rank. Reads the products with revenue from an index in revenue order, so its cost is the weeks, not the products.';
REVOKE EXECUTE ON FUNCTION marts.top_products_weekly(date, date, text[], integer) FROM PUBLIC;
