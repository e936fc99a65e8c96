//! Why a row was not kept: the one list of reason codes.
//!
//! A reason code is what a refused row is filed under in `quarantine.rejected_rows.reason`,
//! in a load's `rejected_by_reason` and in the generator's manifest (`mess`), so the
//! generator's injected anomalies can be counted back exactly. The loader refuses rows with
//! the [`Stage::Load`] codes from Rust; the transform refuses rows with the
//! [`Stage::Transform`] codes in `crates/model/sql/transform/day.sql`, whose spellings a test here checks
//! against this enum (each code the SQL writes is a variant, and each transform variant is
//! written by the SQL or is one of [`DIMENSION_MERGE`]'s). The dimension merge
//! (`retention scd`, stage `transform` too) quarantines feed rows without a key or an
//! effective time under codes `retention-scd` builds from each dimension's spec
//! (`DimensionSpec::reject_reasons`): [`DIMENSION_MERGE`] names them for the built-in
//! dimensions, and a test of `retention-pipeline` checks the two agree.

use std::fmt;

/// The step that refuses rows with a given [`RejectReason`] (`quarantine.rejected_rows.stage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// The loader: the record could not be typed into its staging table.
    Load,
    /// The transform's conformance: a typed row that breaks a rule of the model.
    Transform,
}

impl Stage {
    /// The stage as `quarantine.rejected_rows.stage` spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Load => "load",
            Self::Transform => "transform",
        }
    }
}

/// A reason code: why one row went to quarantine instead of the warehouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectReason {
    /// The record has more or fewer fields than the header.
    BadFieldCount,
    /// A timestamp or date field does not parse (RFC 3339 / `YYYY-MM-DD`).
    BadTimestamp,
    /// An integer or money field does not parse as its type or overflows it.
    BadNumber,
    /// A boolean field is not one of the accepted spellings.
    BadBoolean,
    /// A field is not valid UTF-8.
    InvalidUtf8,
    /// A field contains a NUL byte, which PostgreSQL `text` cannot hold.
    NulByte,
    /// One field is longer than the per-field limit.
    FieldTooLarge,
    /// The whole record is longer than the reader's limit (quarantined with its first bytes).
    RecordTooLarge,
    /// Text follows the closing quote of a quoted field.
    BadQuoting,
    /// A quoted field is still open at the end of the file.
    UnterminatedQuote,
    /// A JSON Lines record is not one JSON object.
    BadJson,
    /// A JSON Lines event carries only an anonymous id, no user id: not a user's event.
    AnonymousUser,
    /// The event type is none of the canonical eight, even after normalisation.
    UnknownEventType,
    /// `event_id` is empty.
    MissingEventId,
    /// `user_id` is empty.
    MissingUserId,
    /// `user_id` has no `dim_user` version at the event's time.
    UnknownUser,
    /// `product_id` has no `dim_product` version at the event's time.
    UnknownProduct,
    /// `event_ts` is far in the future or before the warehouse's calendar.
    TimestampOutOfRange,
    /// A purchase without a positive quantity, a price or an order id.
    InvalidPurchase,
    /// The `event_id` was already accepted (earlier in the batch or in an earlier batch).
    DuplicateEvent,
    /// A `products.csv` feed row without `product_id` (the dimension merge).
    MissingProductId,
    /// A `users.csv` or `products.csv` feed row without `updated_at` (the dimension merge).
    MissingUpdatedAt,
}

/// The codes the dimension merge (`retention-scd`) writes for the built-in dimensions
/// (`config/dimensions.yaml`): `missing_<natural_key>` and `missing_<effective_time>` of
/// `dim_user` and `dim_product`, in that order, without repeats. A test of
/// `retention-pipeline` checks them against `DimensionSpec::reject_reasons`.
pub const DIMENSION_MERGE: [RejectReason; 3] = [
    RejectReason::MissingUserId,
    RejectReason::MissingUpdatedAt,
    RejectReason::MissingProductId,
];

impl RejectReason {
    /// Every reason code, load codes first, each stage in the order its checks run (the
    /// transform's, then those only the dimension merge writes).
    pub const ALL: [RejectReason; 22] = [
        Self::BadFieldCount,
        Self::BadTimestamp,
        Self::BadNumber,
        Self::BadBoolean,
        Self::InvalidUtf8,
        Self::NulByte,
        Self::FieldTooLarge,
        Self::RecordTooLarge,
        Self::BadQuoting,
        Self::UnterminatedQuote,
        Self::BadJson,
        Self::AnonymousUser,
        Self::UnknownEventType,
        Self::MissingEventId,
        Self::MissingUserId,
        Self::UnknownUser,
        Self::UnknownProduct,
        Self::TimestampOutOfRange,
        Self::InvalidPurchase,
        Self::DuplicateEvent,
        Self::MissingProductId,
        Self::MissingUpdatedAt,
    ];

    /// The code as SQL, the manifest and reports spell it (matches the
    /// `quarantine.rejected_rows.reason` check `^[a-z][a-z0-9_]*$`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BadFieldCount => "bad_field_count",
            Self::BadTimestamp => "bad_timestamp",
            Self::BadNumber => "bad_number",
            Self::BadBoolean => "bad_boolean",
            Self::InvalidUtf8 => "invalid_utf8",
            Self::NulByte => "nul_byte",
            Self::FieldTooLarge => "field_too_large",
            Self::RecordTooLarge => "record_too_large",
            Self::BadQuoting => "bad_quoting",
            Self::UnterminatedQuote => "unterminated_quote",
            Self::BadJson => "bad_json",
            Self::AnonymousUser => "anonymous_user",
            Self::UnknownEventType => "unknown_event_type",
            Self::MissingEventId => "missing_event_id",
            Self::MissingUserId => "missing_user_id",
            Self::UnknownUser => "unknown_user",
            Self::UnknownProduct => "unknown_product",
            Self::TimestampOutOfRange => "timestamp_out_of_range",
            Self::InvalidPurchase => "invalid_purchase",
            Self::DuplicateEvent => "duplicate_event",
            Self::MissingProductId => "missing_product_id",
            Self::MissingUpdatedAt => "missing_updated_at",
        }
    }

    /// The step that refuses rows for this reason.
    pub const fn stage(self) -> Stage {
        match self {
            Self::BadFieldCount
            | Self::BadTimestamp
            | Self::BadNumber
            | Self::BadBoolean
            | Self::InvalidUtf8
            | Self::NulByte
            | Self::FieldTooLarge
            | Self::RecordTooLarge
            | Self::BadQuoting
            | Self::UnterminatedQuote
            | Self::BadJson
            | Self::AnonymousUser => Stage::Load,
            Self::UnknownEventType
            | Self::MissingEventId
            | Self::MissingUserId
            | Self::UnknownUser
            | Self::UnknownProduct
            | Self::TimestampOutOfRange
            | Self::InvalidPurchase
            | Self::DuplicateEvent
            | Self::MissingProductId
            | Self::MissingUpdatedAt => Stage::Transform,
        }
    }

    /// The variant spelled `code`, if any.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == code)
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for RejectReason {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// The reason codes a SQL text writes: every `'…'` literal assigned to or compared with a
/// `reason` column (`reason = 'x'`, `reason IN ('x', 'y')`). Comments are skipped.
pub fn codes_in_sql(sql: &str) -> Vec<String> {
    let mut codes = Vec::new();
    for line in sql.lines() {
        let code_part = line.split("--").next().unwrap_or_default();
        let mut rest = code_part;
        while let Some(at) = rest.find("reason") {
            let after = &rest[at + "reason".len()..];
            let before_ok = at == 0
                || !rest[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
            let trimmed = after.trim_start();
            if before_ok {
                if let Some(v) = trimmed.strip_prefix('=') {
                    if let Some(lit) = literal(v.trim_start()) {
                        codes.push(lit.to_owned());
                    }
                } else if let Some(v) = trimmed
                    .strip_prefix("IN")
                    .or_else(|| trimmed.strip_prefix("in"))
                {
                    let list = v.trim_start().strip_prefix('(').unwrap_or_default();
                    let list = list.split(')').next().unwrap_or_default();
                    codes.extend(
                        list.split(',')
                            .filter_map(|item| literal(item.trim()))
                            .map(str::to_owned),
                    );
                }
            }
            rest = after;
        }
    }
    codes
}

/// The text of a leading `'…'` SQL literal.
fn literal(s: &str) -> Option<&str> {
    let s = s.strip_prefix('\'')?;
    s.split('\'').next()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Every SQL text of this crate that may spell a reason code: the transform and the
    /// migrations.
    fn model_sql() -> Vec<(&'static str, &'static str)> {
        let mut all = vec![
            ("sql/transform/day.sql", crate::transform::DAY_SQL),
            ("sql/transform/rules.sql", crate::transform::RULES_SQL),
            ("sql/transform/rebuild.sql", crate::transform::REBUILD_SQL),
            ("sql/transform/marts.sql", crate::transform::MARTS_SQL),
            ("sql/transform/kpis.sql", crate::transform::KPIS_SQL),
        ];
        all.extend(crate::MIGRATIONS.iter().map(|m| (m.file, m.sql)));
        all
    }

    /// Each code the model's SQL writes is a transform variant, and each transform variant is
    /// written by that SQL or by the dimension merge ([`DIMENSION_MERGE`], checked against
    /// `retention-scd` by `retention-pipeline`).
    #[test]
    fn every_code_the_sql_writes_is_a_variant_and_every_transform_variant_is_written() {
        let mut seen = BTreeSet::new();
        for (file, sql) in model_sql() {
            for code in codes_in_sql(sql) {
                let reason = RejectReason::from_code(&code)
                    .unwrap_or_else(|| panic!("{file} spells reason {code:?}, not a RejectReason"));
                assert_eq!(
                    reason.stage(),
                    Stage::Transform,
                    "{file} writes the load reason {code}"
                );
                seen.insert(reason);
            }
        }
        for r in RejectReason::ALL {
            if r.stage() == Stage::Transform {
                assert!(
                    seen.contains(&r) || DIMENSION_MERGE.contains(&r),
                    "neither the transform SQL nor the dimension merge writes reason {r}"
                );
            }
        }
        for r in DIMENSION_MERGE {
            assert_eq!(r.stage(), Stage::Transform, "{r}");
        }
    }

    #[test]
    fn codes_are_distinct_and_pass_the_quarantine_check() {
        let codes: BTreeSet<_> = RejectReason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(codes.len(), RejectReason::ALL.len());
        for r in RejectReason::ALL {
            let s = r.as_str();
            assert!(s.starts_with(|c: char| c.is_ascii_lowercase()), "{s}");
            assert!(
                s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{s}"
            );
            assert_eq!(RejectReason::from_code(s), Some(r));
        }
    }

    #[test]
    fn the_scanner_finds_assignments_and_lists_but_not_comments() {
        let sql = "UPDATE t SET reason = 'a_b', detail = 'x' WHERE reason IS NULL;\n\
                   -- reason = 'not_me'\n\
                   DELETE FROM q WHERE reason IN ('c', 'd') AND treason = 'no';";
        assert_eq!(codes_in_sql(sql), ["a_b", "c", "d"]);
    }
}
