-- A full snapshot's batch in key order (the key's own type), the feed's rows (absent = false)
-- followed by one deletion row at the snapshot time ($2) for every current key the snapshot
-- does not hold (absent = true). The keys to close are found here, by an anti-join, and
-- streamed with the feed's rows a slice at a time: never gathered in memory. Values as text,
-- as in source_rows.
SELECT u.k::text, u.t, u.del, u.absent, {u_values}
FROM (
    SELECT s.{key}::{key_type} AS k, {row_time} AS t, {deleted} AS del, false AS absent, {s_values}
    FROM {source} AS s
    WHERE s.{batch} = $1
    UNION ALL
    SELECT d.{key}, $2::timestamptz, true, true, {null_values}
    FROM {target} AS d
    WHERE d.is_current
      AND NOT EXISTS (SELECT 1 FROM {source} AS s WHERE s.{batch} = $1 AND s.{key} = d.{key})
) AS u
ORDER BY u.k
