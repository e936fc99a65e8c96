-- New current versions, inserted in key order so surrogate keys do not depend on the plan's
-- order.
INSERT INTO {target} ({key}, {cols}, row_hash, valid_from, valid_to, is_current, is_deleted, batch_date, updated_in_batch)
SELECT a.key::{key_type}, {cols_cast}, a.row_hash, a.effective, 'infinity', true, false, $1, $1
FROM pg_temp.scd_actions AS a
WHERE a.action IN ('new_key', 'new_version', 'recreate')
ORDER BY a.key::{key_type}
