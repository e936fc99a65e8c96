-- Headline numbers of the period $1..$2 without scanning every fact:
--   events and users from dw.fact_user_weekly_summary (daily_events counts a user's fact
--   events per day, Monday first): whole weeks inside the period by total_events, the
--   period's edge weeks day by day;
--   revenue (sum of quantity x unit_price over purchase events, as marts.sales_*) from
--   marts.sales_weekly for the weeks inside the period, plus the purchase events of the edge
--   weeks' days in the period (at most 6 days at each end).
WITH weeks AS (
    SELECT s.user_id,
           CASE WHEN s.week_start >= $1::date AND s.week_start + 6 <= $2::date THEN s.total_events
                ELSE (SELECT coalesce(sum(d.n), 0)
                      FROM unnest(s.daily_events) WITH ORDINALITY AS d(n, i)
                      WHERE s.week_start + (d.i::integer - 1) BETWEEN $1::date AND $2::date)
           END AS events
    FROM dw.fact_user_weekly_summary s
    WHERE s.week_start BETWEEN date_trunc('week', $1::date)::date AND $2::date
),
inner_weeks AS (
    SELECT coalesce(sum(revenue), 0) AS revenue
    FROM marts.sales_weekly
    WHERE week_start >= $1::date AND week_start + 6 <= $2::date
),
edge_days AS (
    SELECT coalesce(sum(quantity * unit_price), 0) AS revenue
    FROM dw.fact_user_events
    WHERE event_type = 'purchase'
      AND event_date BETWEEN $1::date AND $2::date
      AND (event_date < $1::date + 7 OR event_date > $2::date - 7)
      AND NOT (date_trunc('week', event_date)::date >= $1::date
               AND date_trunc('week', event_date)::date + 6 <= $2::date)
)
SELECT coalesce(sum(w.events), 0)::bigint                       AS events,
       count(DISTINCT w.user_id) FILTER (WHERE w.events > 0)     AS users,
       ((SELECT revenue FROM inner_weeks) + (SELECT revenue FROM edge_days))::float8 AS revenue
FROM weeks w;
