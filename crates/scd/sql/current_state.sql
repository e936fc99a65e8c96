-- The latest version of each key of the batch: current (live) or closed by a deletion.
SELECT DISTINCT ON (d.{key}) d.{key}::text, d.{sk}, d.valid_from, d.valid_to, d.is_current, d.is_deleted, {values}
FROM {target} AS d
WHERE d.{key} = ANY($1::text[]::{key_type}[])
ORDER BY d.{key}, d.valid_from DESC
