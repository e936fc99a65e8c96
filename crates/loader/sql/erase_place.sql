-- Erasure is permanent: rows a load writes to one erase_in place (a new staging partition,
-- the load's own rejects) must not bring back the personal data of a key erased in the
-- erasure register, in rows of the erased life: batches before the deletion's, and rows of
-- any batch effective at or before the deletion (the rules retention-scd applies; rows of the
-- deletion's batch after it are a new life). Rendered by crates/loader/src/erasure.rs from
-- the place's description; $1 is the batch being loaded. Placeholders:
--   target  the table written (for a staging table, the new partition before it is attached)
--   set     the erased columns: NULL, emptied, or JSON fields nulled
--   log     the erasure register; key and log_key the key columns of the place and the register
--   scope   the rows this load wrote: its batch (and, in the rejects, stage load)
--   life    the rows of the erased life, from the batch and time columns
--   needed  the rows that still hold something to erase
UPDATE {target} AS p
SET {set}
FROM {log} AS e
WHERE {scope}
  AND p.{key} = e.{log_key}
  AND {life}
  AND ({needed})
