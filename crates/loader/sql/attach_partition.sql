-- Puts the freshly loaded partition in place of the old one. Run last in the transaction:
-- dropping a partition locks its parent until commit.
ALTER TABLE staging.{new} RENAME TO {final};
ALTER TABLE staging.{parent} ATTACH PARTITION staging.{final} FOR VALUES IN ('{date}');
