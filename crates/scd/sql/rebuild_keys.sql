-- Keys with a row written by a batch being rebuilt: their type-1 values are restored.
SELECT DISTINCT d.{key}::text FROM {target} AS d WHERE d.updated_in_batch >= $1
