-- The session funnel summed over the period's days: overall ('all') first, then per device.
SELECT device,
       sum(sessions)::bigint  AS sessions,
       sum(views)::bigint     AS views,
       sum(carts)::bigint     AS carts,
       sum(purchases)::bigint AS purchases
FROM marts.funnel_daily
WHERE event_date BETWEEN $1::date AND $2::date
GROUP BY device
ORDER BY device <> 'all', device;
