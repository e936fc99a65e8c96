-- Planner statistics for the freshly loaded partition, before it is attached: whoever plans
-- against the batch next (validate, scd, transform) would otherwise guess its size and its
-- columns' spread until autovacuum gets round to it, minutes later or, in a database copied
-- from a template, never. A guessed staging.users made the scd's erasure statements hash-join
-- every staged users row instead of probing staging_users_user_idx (0.5 s each at --scale 210,
-- BENCHMARKS.md). It samples at most 30,000 rows. Placeholder: {new} (validated, quoted).
ANALYZE staging.{new}
