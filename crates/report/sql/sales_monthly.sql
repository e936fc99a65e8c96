-- Monthly sales for the calendar months that overlap the period (whole months).
SELECT month_start, orders, units, revenue::float8 AS revenue, avg_order_value::float8 AS aov
FROM marts.sales_monthly
WHERE month_start BETWEEN date_trunc('month', $1::date)::date AND $2::date
ORDER BY month_start;
