-- The personal values of the keys this round erases, gathered before they are nulled, so
-- that copies of them kept without the key (validation samples, error messages) can be
-- found afterwards: trimmed and lower-cased, as copies are compared.
DROP TABLE IF EXISTS pg_temp.scd_erased_values;
CREATE TEMP TABLE scd_erased_values (value text PRIMARY KEY) ON COMMIT DROP;
