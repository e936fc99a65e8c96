-- Record each deletion in the permanent erasure register.
INSERT INTO {log} ({log_key}, {log_time}, {log_batch})
SELECT a.key::{key_type}, a.effective, $1
FROM pg_temp.scd_actions AS a
WHERE a.action IN ('delete', 'forget')
ON CONFLICT DO NOTHING
