//! The injected anomalies: their reason codes, how each one is spelled in a row, and the
//! exact counts that go into the manifest.

use std::collections::BTreeMap;

use retention_model::{EventType, RejectReason};

/// Every kind of anomaly, named by the reason code it must end up under (or, for the kinds
/// that are cleaned rather than rejected, the name of the cleaning).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MessKind {
    /// A byte-exact copy of a clean event.
    DuplicateEvent,
    /// `user_id` empty.
    MissingUserId,
    /// Non-canonical spelling of a canonical event type (cleaned).
    EventTypeVariant,
    /// An event type that is none of the canonical eight.
    UnknownEventType,
    /// `event_ts` far in the future or at 1970.
    TimestampOutOfRange,
    /// An event 1–3 days before the batch day (kept).
    LateEvent,
    /// `event_ts` that does not parse.
    BadTimestamp,
    /// A numeric field that does not parse as its type.
    BadNumber,
    /// A record with the wrong number of fields.
    BadFieldCount,
    /// A purchase with a bad quantity, price or order id.
    InvalidPurchase,
    /// A user row needing cleaning (email case, whitespace, country case).
    DirtyUserRow,
}

impl MessKind {
    /// All kinds; the first nine are drawn per event row in this order.
    pub const ALL: [MessKind; 11] = [
        Self::DuplicateEvent,
        Self::MissingUserId,
        Self::EventTypeVariant,
        Self::UnknownEventType,
        Self::TimestampOutOfRange,
        Self::LateEvent,
        Self::BadTimestamp,
        Self::BadNumber,
        Self::BadFieldCount,
        Self::InvalidPurchase,
        Self::DirtyUserRow,
    ];

    /// The reason code a row of this kind is quarantined under, or `None` for the kinds
    /// that are cleaned or kept rather than refused. The codes themselves are
    /// [`RejectReason`]'s, so the generator cannot drift from the loader and the transform.
    pub const fn reason(self) -> Option<RejectReason> {
        match self {
            Self::DuplicateEvent => Some(RejectReason::DuplicateEvent),
            Self::MissingUserId => Some(RejectReason::MissingUserId),
            Self::UnknownEventType => Some(RejectReason::UnknownEventType),
            Self::TimestampOutOfRange => Some(RejectReason::TimestampOutOfRange),
            Self::BadTimestamp => Some(RejectReason::BadTimestamp),
            Self::BadNumber => Some(RejectReason::BadNumber),
            Self::BadFieldCount => Some(RejectReason::BadFieldCount),
            Self::InvalidPurchase => Some(RejectReason::InvalidPurchase),
            Self::EventTypeVariant | Self::LateEvent | Self::DirtyUserRow => None,
        }
    }

    /// The manifest key: the reason code for refused kinds, the cleaning's name otherwise.
    pub const fn code(self) -> &'static str {
        match self {
            Self::EventTypeVariant => "event_type_variant",
            Self::LateEvent => "late_event",
            Self::DirtyUserRow => "dirty_user_row",
            // Every other kind is refused; a kind without a reason is caught by the test
            // `every_kind_has_a_distinct_code`.
            refused => match refused.reason() {
                Some(reason) => reason.as_str(),
                None => "",
            },
        }
    }
}

/// Exact anomaly counts of one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessCounts([u64; 11]);

impl MessCounts {
    /// Counts one anomaly.
    #[inline]
    pub fn add(&mut self, kind: MessKind) {
        self.0[kind as usize] += 1;
    }

    /// Adds another day part's counts.
    pub fn merge(&mut self, other: MessCounts) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }

    /// The manifest's `mess` map: every kind, zeros included.
    pub fn to_map(self) -> BTreeMap<String, u64> {
        MessKind::ALL
            .iter()
            .map(|k| (k.code().to_owned(), self.0[*k as usize]))
            .collect()
    }
}

/// A non-canonical spelling of `t` that normalises back to it (style 0..4), written to `out`.
/// Only case, dashes and the documented synonyms: spellings that survive any CSV reader.
pub fn push_variant(out: &mut Vec<u8>, t: EventType, style: u8) {
    let s = t.as_str();
    match style % 4 {
        0 => out.extend(s.bytes().map(|b| b.to_ascii_uppercase())),
        1 => {
            let mut capital = true;
            for b in s.bytes() {
                if b == b'_' {
                    out.push(b' ');
                    capital = true;
                } else {
                    out.push(if capital { b.to_ascii_uppercase() } else { b });
                    capital = false;
                }
            }
        }
        2 => out.extend(s.bytes().map(|b| {
            if b == b'_' {
                b'-'
            } else {
                b.to_ascii_uppercase()
            }
        })),
        _ => match t {
            EventType::PageView => out.extend_from_slice(b"pageview"),
            EventType::AddToCart => out.extend_from_slice(b"AddToCart"),
            EventType::BeginCheckout => out.extend_from_slice(b"checkout"),
            _ => {
                out.extend(s.bytes().take(1).map(|b| b.to_ascii_uppercase()));
                out.extend_from_slice(&s.as_bytes()[1..]);
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_differs_from_the_canonical_spelling_and_normalises_back() {
        for t in EventType::ALL {
            for style in 0..4 {
                let mut out = Vec::new();
                push_variant(&mut out, t, style);
                let v = String::from_utf8(out).unwrap();
                assert_ne!(v, t.as_str());
                assert_eq!(EventType::normalize(&v), Some(t), "{v}");
                assert!(!v.contains(',') && v.trim() == v, "{v}");
            }
        }
    }

    #[test]
    fn every_kind_has_a_distinct_code() {
        let codes: std::collections::BTreeSet<_> = MessKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes.len(), MessKind::ALL.len());
        assert!(!codes.contains(""));
        for k in MessKind::ALL {
            if let Some(r) = k.reason() {
                assert_eq!(k.code(), r.as_str());
            }
        }
    }
}
