//! Advisory-lock keys: what a process locks, named by a few parts, as the `bigint` of
//! `pg_advisory_lock` / `pg_advisory_xact_lock`.

use crate::sha256::sha256;

/// The advisory-lock key of `parts`: the first 8 bytes, read big-endian as a signed
/// integer, of the SHA-256 of the parts joined by `:`.
///
/// Every lock of the pipeline is derived here, so that one name always gives one key: a
/// step of a day is `["retention", step, "YYYY-MM-DD"]` (a step without a day leaves the day
/// out), a dimension's merge is `["retention-scd", "schema.table"]`. The result is part of
/// a running warehouse's behaviour (processes serialise only when they compute the same
/// key), so the derivation must not change. Parts are joined as they are: `["a:b"]` and
/// `["a", "b"]` give the same key, as they always have.
pub fn advisory_lock_key(parts: &[&str]) -> i64 {
    let digest = sha256(parts.join(":").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys a warehouse in service already uses (computed with the `sha2` crate by the
    /// code this replaced): they must never change.
    #[test]
    fn keys_are_those_of_the_warehouses_in_service() {
        assert_eq!(
            advisory_lock_key(&["retention-scd", "dw.dim_user"]),
            -3415732130268202402
        );
        assert_eq!(
            advisory_lock_key(&["retention-scd", "dw.dim_product"]),
            -8191849263228082374
        );
        assert_eq!(
            advisory_lock_key(&["retention", "load", "2026-01-01"]),
            2728490057334110576
        );
        assert_eq!(
            advisory_lock_key(&["retention", "scd", "2026-01-02"]),
            -6423998152391017562
        );
        assert_eq!(
            advisory_lock_key(&["retention", "migrate"]),
            8495558441304622590
        );
    }

    #[test]
    fn keys_differ_by_every_part() {
        let key = advisory_lock_key(&["retention", "load", "2026-01-01"]);
        assert_ne!(key, advisory_lock_key(&["retention", "load", "2026-01-02"]));
        assert_ne!(key, advisory_lock_key(&["retention", "scd", "2026-01-01"]));
        assert_ne!(key, advisory_lock_key(&["retention", "load"]));
        assert_eq!(key, advisory_lock_key(&["retention:load", "2026-01-01"]));
    }
}
