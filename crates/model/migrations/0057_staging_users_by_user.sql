-- staging.users gets an index on user_id. A deletion erases the user's personal data in the
-- staged feed rows of every batch up to it (config/dimensions.yaml erase_in), and without an
-- index the scd's two statements for that (collect the values, then empty them) scanned every
-- staged users row of every batch: 2.27 M rows twice for 171 deletions, 1.05 s of a 1.63 s
-- --scale 210 day after a snapshot bootstrap, and growing by a batch every day (BENCHMARKS.md,
-- issue 13). With it, a deletion costs one index probe per partition. The loader's partitions
-- get the index when they are attached (create_partition.sql copies only the columns).
CREATE INDEX staging_users_user_idx ON staging.users (user_id);
-- The planner takes the probes only with statistics: the loader now analyses each partition
-- it loads (analyze_partition.sql); the partitions loaded before it are analysed here once
-- (~0.6 s for 2.27 M rows: it samples 30,000).
ANALYZE staging.users;
