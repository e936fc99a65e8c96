-- Drops a batch's previous partition ({old}: a quoted name from day_partitions.sql).
DROP TABLE {old}
