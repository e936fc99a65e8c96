-- The ten best products (by the mart's rank: revenue, then units) of the ISO week holding
-- the period's last day.
SELECT week_start, rank, product_id, product_name, category,
       product_views, add_to_carts, purchases, units, revenue::float8 AS revenue
FROM marts.product_popularity_weekly
WHERE week_start = date_trunc('week', $1::date)::date
  AND rank <= 10
ORDER BY rank, product_id;
