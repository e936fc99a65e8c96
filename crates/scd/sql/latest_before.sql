-- For a rebuild: each key's latest live feed row before the rebuild day, whose type-1 values
-- the current life held at the end of the previous day.
SELECT DISTINCT ON (s.{key}) s.{key}::text, s.{effective}, false, {values}
FROM {source} AS s
WHERE s.{batch} < $1
  AND s.{key} = ANY($2::text[]::{key_type}[])
  AND s.{effective} IS NOT NULL
  AND NOT {deleted}
ORDER BY s.{key}, s.{effective} DESC, s.{batch} DESC
