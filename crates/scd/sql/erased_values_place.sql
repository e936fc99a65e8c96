-- The personal values in the rows of another table erase_place is about to erase (the same
-- rows: batches up to the deletion's, and within it up to the deletion when timed).
INSERT INTO pg_temp.scd_erased_values (value)
SELECT DISTINCT lower(btrim(v.value))
FROM {table} AS p
JOIN pg_temp.scd_actions AS a
  ON a.action IN ('delete', 'forget')
 AND p.{place_key} = a.key::{key_type}
CROSS JOIN LATERAL (VALUES {place_values}) AS v(value)
WHERE p.{place_batch} <= $1
  AND {place_same_batch}
  AND btrim(v.value) <> ''
ON CONFLICT DO NOTHING
