-- Before scd merges day $1: whether this warehouse records loads at all (some `retention load`
-- ran on it), and whether one of day $1 succeeded. A warehouse whose feeds another tool fills
-- records none, and is not asked.
SELECT EXISTS (SELECT 1 FROM ops.task_runs WHERE step = 'load') AS records_loads,
       EXISTS (SELECT 1 FROM ops.task_runs WHERE step = 'load' AND batch_date = $1 AND status = 'ok') AS loaded
