-- One batch of the feed, values as text: the diff normalises and compares them in Rust and
-- the executor casts them back to the target's types. The time is the row's effective time
-- (in snapshot mode the batch day's start when the row has none).
SELECT s.{key}::text, {row_time}, {deleted}, {values}
FROM {source} AS s
WHERE s.{batch} = $1
