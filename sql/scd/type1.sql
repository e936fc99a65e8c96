-- Overwrite type-1 values in every version of the key's current life: the versions since
-- its last deletion. ($1 NULL keeps updated_in_batch, for a rebuild's restore.)
UPDATE {target} AS d
SET {type1_set},
    updated_in_batch = coalesce($1, d.updated_in_batch)
FROM pg_temp.scd_actions AS a
WHERE a.action IN ('new_version', 'type1')
  AND d.{key} = a.key::{key_type}
  AND d.valid_from >= coalesce(
        (SELECT max(p.valid_to) FROM {target} AS p WHERE p.{key} = d.{key} AND p.is_deleted),
        '-infinity')
  AND ({type1_differs})
