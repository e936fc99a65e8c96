-- Whether the user dimension has no row yet: a run that starts after the first simulated
-- day then bootstraps the dimensions from a snapshot.
SELECT NOT EXISTS (SELECT 1 FROM dw.dim_user)
