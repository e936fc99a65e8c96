-- Erasure is permanent: a reloaded users feed must not bring back the personal data of a
-- user erased in ops.erasures, in rows of the erased life: batches before the deletion's,
-- and rows of any batch changed at or before deleted_at (the rules retention-scd applies;
-- rows of the deletion's batch after deleted_at are a new life, re-created that day).
UPDATE staging.{new} AS u
SET email = NULL, full_name = NULL
FROM ops.erasures AS e
WHERE e.user_id = u.user_id
  AND (u.batch_date < e.batch_date OR u.updated_at IS NULL OR u.updated_at <= e.deleted_at)
  AND (u.email IS NOT NULL OR u.full_name IS NOT NULL)
