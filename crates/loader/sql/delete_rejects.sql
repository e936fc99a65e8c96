-- A reload replaces the day's load rejects ($1 = batch_date).
DELETE FROM quarantine.rejected_rows WHERE batch_date = $1 AND stage = 'load'
