-- DAU, WAU, MAU and stickiness for each day of the period.
SELECT event_date, dau, wau, mau, stickiness
FROM marts.engagement_daily
WHERE event_date BETWEEN $1::date AND $2::date
ORDER BY event_date;
