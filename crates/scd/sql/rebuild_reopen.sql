-- Reopen versions closed from the rebuild day on: those closed by a deletion then, and those
-- whose successor was just removed. Returns how many, and the earliest old end.
WITH reopened AS (
    UPDATE {target} AS d
    SET valid_to = 'infinity', is_current = true, is_deleted = false, updated_in_batch = d.batch_date
    FROM {target} AS o
    WHERE o.{sk} = d.{sk}
      AND NOT d.is_current
      AND d.updated_in_batch >= $1
      AND (d.is_deleted
           OR NOT EXISTS (SELECT 1 FROM {target} AS n WHERE n.{key} = d.{key} AND n.valid_from = d.valid_to))
    RETURNING o.valid_to
)
SELECT count(*), min(valid_to) FROM reopened
