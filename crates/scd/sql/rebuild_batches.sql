-- The stored batches to replay, in order.
SELECT DISTINCT s.{batch} FROM {source} AS s WHERE s.{batch} BETWEEN $1 AND $2 ORDER BY 1
