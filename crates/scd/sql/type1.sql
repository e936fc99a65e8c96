-- Overwrite type-1 values in every version of the key's current life: the versions since
-- its last deletion. ($1 NULL keeps updated_in_batch, for a rebuild's restore.)
-- The life's start is found once per action (LATERAL, keyed by the action's key), not per
-- dimension row: a correlated subquery on d.{key} would be pushed down into a scan of the
-- whole dimension and run once for each of its rows (2.2M probes at --scale 210).
UPDATE {target} AS d
SET {type1_set},
    updated_in_batch = coalesce($1, d.updated_in_batch)
FROM pg_temp.scd_actions AS a
CROSS JOIN LATERAL (
    SELECT coalesce(max(p.valid_to), '-infinity') AS life_start
    FROM {target} AS p
    WHERE p.{key} = a.key::{key_type} AND p.is_deleted
) AS life
WHERE a.action IN ('new_version', 'type1')
  AND d.{key} = a.key::{key_type}
  AND d.valid_from >= life.life_start
  AND ({type1_differs})
