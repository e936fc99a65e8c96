-- Turns JIT compilation off for the rest of the transaction, returning the setting it had
-- (restored by jit_restore.sql). For the erasures: they probe every partition of a place by
-- the deleted keys, and the planner, taking each key to match rows in every partition, costs
-- the gather of their personal values past jit_above_cost. JIT then compiled one expression
-- set per partition: 551 ms of a 598 ms statement that runs in 21 ms without it, on 111
-- partitions of staging.users at --scale 210, more with every day (BENCHMARKS.md, issue 13).
SELECT current_setting('jit'), set_config('jit', 'off', true)
