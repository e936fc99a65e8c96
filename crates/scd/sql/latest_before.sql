-- For a rebuild: each key's latest live feed row before the rebuild day, whose type-1 values
-- the current life held at the end of the previous day: the latest by time, or for a full
-- snapshot the row of the latest batch.
SELECT DISTINCT ON (s.{key}) s.{key}::text, {row_time}, false, {values}
FROM {source} AS s
WHERE s.{batch} < $1
  AND s.{key} = ANY($2::text[]::{key_type}[])
  AND {row_time} IS NOT NULL
  AND NOT {deleted}
ORDER BY s.{key}, {latest_order}
