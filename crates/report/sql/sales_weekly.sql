-- Weekly sales for the ISO weeks that overlap the period (whole weeks).
SELECT week_start, orders, units, revenue::float8 AS revenue, avg_order_value::float8 AS aov
FROM marts.sales_weekly
WHERE week_start BETWEEN date_trunc('week', $1::date)::date AND $2::date
ORDER BY week_start;
