-- Erase a deleted key's personal data in another table, in rows of batches up to the
-- deletion's (later rows belong to a new life); with a time column, rows of the deletion's
-- own batch only up to the deletion (a key deleted and re-created within one batch).
UPDATE {table} AS p
SET {place_set}
FROM pg_temp.scd_actions AS a
WHERE a.action IN ('delete', 'forget')
  AND p.{place_key} = a.key::{key_type}
  AND p.{place_batch} <= $1
  AND {place_same_batch}
  AND ({place_needed})
