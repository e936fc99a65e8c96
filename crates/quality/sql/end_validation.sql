-- Ends the validation transaction. It wrote nothing, so rolling back loses nothing, and it
-- also ends a transaction that a cancelled statement left aborted.
ROLLBACK;
