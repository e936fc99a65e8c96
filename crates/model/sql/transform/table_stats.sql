-- Table statistics at the end of the transform's transaction ($1 run id, $2 batch day). The
-- facts, the event_id register and the weekly summary are written by the transform alone, so
-- their counts are carried from the last exact count by the net change of this transaction's
-- statements ($3 tables, $4 their deltas) instead of counted (migration 0050): measuring them
-- no longer grows with the warehouse.
SELECT ops.record_table_stats($1, $2, $3::text[], $4::bigint[])
