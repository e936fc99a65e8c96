-- Load rejects keep the raw line, which may hold an erased user's email: for batch $1, empty
-- it (the reason stays) for users erased in a deletion batch at or after this one, as
-- retention-scd does when it erases.
UPDATE quarantine.rejected_rows AS r
SET raw = '\x'::bytea
FROM ops.erasures AS e
WHERE r.batch_date = $1
  AND r.stage = 'load'
  AND r.user_id = e.user_id
  AND r.batch_date <= e.batch_date
  AND r.raw <> '\x'::bytea
