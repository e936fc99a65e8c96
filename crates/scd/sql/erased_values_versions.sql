-- The personal values in the versions erase_versions is about to erase (the same rows).
INSERT INTO pg_temp.scd_erased_values (value)
SELECT DISTINCT lower(btrim(v.value))
FROM {target} AS d
JOIN pg_temp.scd_actions AS a
  ON a.action IN ('delete', 'forget')
 AND d.{key} = a.key::{key_type}
CROSS JOIN LATERAL (VALUES {erased_values}) AS v(value)
WHERE d.valid_from < a.effective
  AND btrim(v.value) <> ''
ON CONFLICT DO NOTHING
