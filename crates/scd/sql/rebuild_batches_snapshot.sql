-- The batches of a full snapshot to replay, in order: those of the feed, and those merged
-- without a row ($3: the dimension), since an allowed empty snapshot closed every key and its
-- replay must too. Read before the rebuild forgets the merged batches.
SELECT s.{batch} FROM {source} AS s WHERE s.{batch} BETWEEN $1 AND $2
UNION
SELECT b.batch_date FROM {batches} AS b WHERE b.dimension = $3 AND b.batch_date BETWEEN $1 AND $2
ORDER BY 1
