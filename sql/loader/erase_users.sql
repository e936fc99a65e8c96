-- Erasure is permanent: a reloaded users feed must not bring back the personal data of a
-- user erased in ops.erasures, for rows of the erased life (changed at or before deleted_at).
UPDATE staging.{new} AS u
SET email = NULL, full_name = NULL
FROM ops.erasures AS e
WHERE e.user_id = u.user_id
  AND (u.updated_at IS NULL OR u.updated_at <= e.deleted_at)
  AND (u.email IS NOT NULL OR u.full_name IS NOT NULL)
