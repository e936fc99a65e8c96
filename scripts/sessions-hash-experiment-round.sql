-- One variant of scripts/sessions-hash-experiment.sql (which sets :drop, the key constraint the
-- variant's transaction drops, and :probe_order): probes, delete by session_id, delete by ctid,
-- insert, after a CHECKPOINT, rolled back.
CHECKPOINT;
BEGIN;
ALTER TABLE exp.sessions DROP CONSTRAINT :drop;
CREATE TEMP TABLE t_old ON COMMIT DROP AS
SELECT s.* FROM (SELECT session_id FROM touched :probe_order) t
CROSS JOIN LATERAL (SELECT s.ctid AS state_ctid, s.* FROM exp.sessions s WHERE s.session_id = t.session_id OFFSET 0) s;
SAVEPOINT by_key;
DELETE FROM exp.sessions s WHERE s.session_id = ANY (ARRAY(SELECT session_id FROM t_old));
ROLLBACK TO SAVEPOINT by_key;
DELETE FROM exp.sessions s WHERE s.ctid = ANY (ARRAY(SELECT state_ctid FROM t_old));
INSERT INTO exp.sessions
SELECT t.session_id, now(), 'e', current_date, 'mobile', current_date, current_date, 1, 1, 0, 0 FROM touched t;
ROLLBACK;
