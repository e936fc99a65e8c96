//! What each landing file holds: its header, the staging table it lands in, and how each
//! column is typed.

use retention_model::landing::{
    EVENTS_FILE, EVENTS_HEADER, PRODUCTS_FILE, PRODUCTS_HEADER, USERS_FILE, USERS_HEADER,
};

/// How a CSV column is typed into its staging column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `text`: any UTF-8 without NUL, kept exactly.
    Text,
    /// `bigint`.
    Int8,
    /// `numeric(12,2)` via [`retention_model::Money`].
    Money,
    /// `timestamptz` from RFC 3339.
    Timestamp,
    /// `date` as `YYYY-MM-DD`.
    Date,
    /// `boolean`.
    Bool,
}

/// One landing file and its staging table.
#[derive(Debug)]
pub(crate) struct TableSpec {
    /// File name in the day directory.
    pub file: &'static str,
    /// Table name inside the `staging` schema.
    pub table: &'static str,
    /// The exact header.
    pub header: &'static [&'static str],
    /// Column kinds, in header order.
    pub kinds: &'static [Kind],
    /// Index of `user_id`, kept with quarantined rows so erasure can find them.
    pub user_id: Option<usize>,
}

use Kind::{Bool, Date, Int8, Money, Text, Timestamp};

/// The three landing files, in load order.
pub(crate) static TABLES: [TableSpec; 3] = [
    TableSpec {
        file: EVENTS_FILE,
        table: "events",
        header: &EVENTS_HEADER,
        kinds: &[
            Text, Timestamp, Int8, Text, Text, Text, Int8, Int8, Money, Text, Text, Text,
        ],
        user_id: Some(2),
    },
    TableSpec {
        file: USERS_FILE,
        table: "users",
        header: &USERS_HEADER,
        kinds: &[
            Int8, Text, Text, Text, Text, Text, Text, Text, Date, Timestamp, Bool,
        ],
        user_id: Some(0),
    },
    TableSpec {
        file: PRODUCTS_FILE,
        table: "products",
        header: &PRODUCTS_HEADER,
        kinds: &[Int8, Text, Text, Text, Text, Money, Bool, Timestamp],
        user_id: None,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_header_has_one_kind_per_column() {
        for t in &TABLES {
            assert_eq!(t.header.len(), t.kinds.len(), "{}", t.file);
            if let Some(i) = t.user_id {
                assert_eq!(t.header[i], "user_id");
                assert_eq!(t.kinds[i], Kind::Int8);
            }
        }
    }
}
