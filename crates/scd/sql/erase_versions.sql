-- Erase personal data in every version of a deleted key's life (all versions before the
-- deletion); a later life keeps its own values.
UPDATE {target} AS d
SET {erase_null}
FROM pg_temp.scd_actions AS a
WHERE a.action IN ('delete', 'forget')
  AND d.{key} = a.key::{key_type}
  AND d.valid_from < a.effective
  AND ({erase_needed})
