-- Feed rows of the batch that cannot be merged (no natural key, or no effective time) are
-- quarantined with a reason code instead of vanishing: the feed's rows are then all merged
-- or quarantined. The row is kept as JSON, its personal columns nulled when the key was ever
-- erased (such a row has no time to compare with the erasure). In snapshot mode a row without
-- a time is merged at the snapshot time: only a missing key makes a row unmergeable.
INSERT INTO {rejects} (batch_date, stage, source_file, source_line, reason, detail, row_json{reject_key_col})
SELECT $1, $2, $3, s.{line},
       CASE WHEN s.{key} IS NULL THEN {missing_key} ELSE {missing_time} END,
       CASE WHEN s.{key} IS NULL THEN {missing_key_detail} ELSE {missing_time_detail} END,
       {row_json}{reject_key_val}
FROM {source} AS s
WHERE s.{batch} = $1 AND ({unmergeable})
ORDER BY s.{line}
