-- Close the current version of each changed or deleted key where the new version (or the
-- deletion) begins, so consecutive versions meet exactly.
UPDATE {target} AS d
SET valid_to = a.effective,
    is_current = false,
    is_deleted = (a.action = 'delete'),
    updated_in_batch = $1
FROM pg_temp.scd_actions AS a
WHERE a.action IN ('new_version', 'delete')
  AND d.{sk} = a.sk
  AND d.is_current
