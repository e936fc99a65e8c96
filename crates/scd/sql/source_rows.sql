-- One batch of the feed, values as text: the diff normalises and compares them in Rust and
-- the executor casts them back to the target's types.
SELECT s.{key}::text, s.{effective}, {deleted}, {values}
FROM {source} AS s
WHERE s.{batch} = $1
