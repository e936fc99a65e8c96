//! What each landing file holds: its header, the staging table it lands in, and how each
//! column is typed.
//!
//! The staging tables themselves are declared once, by the migrations
//! (`crates/model/migrations/0002_staging.sql`); this spec is what the binary COPY writes by
//! position, so a test migrates a real database and checks that every table's columns,
//! their order and their types are exactly the leading columns plus this spec's.

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

impl Kind {
    /// The staging column's type as `information_schema.columns` names it (numeric with its
    /// precision and scale): what the test against a migrated database compares.
    #[cfg(test)]
    pub(crate) const fn sql_type(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Int8 => "bigint",
            Kind::Money => "numeric(12,2)",
            Kind::Timestamp => "timestamp with time zone",
            Kind::Date => "date",
            Kind::Bool => "boolean",
        }
    }
}

/// The columns every staging table starts with, before the file's own: the batch's day and
/// the line its record starts on (what each PGCOPY row begins with, see `typed::encode_row`).
#[cfg(test)]
pub(crate) const LEADING_COLUMNS: [(&str, &str); 2] =
    [("batch_date", "date"), ("source_line", "bigint")];

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

    /// The staging tables in a migrated database are what the COPY writes: names, order and
    /// types. A drift between `0002_staging.sql` (or a later migration) and this spec would
    /// otherwise surface as a COPY type error, or worse, a value in the wrong column.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_spec_matches_the_migrated_staging_tables() {
        let db = retention_testing::TestDb::migrated().await;
        let c = db.client().await;
        for t in &TABLES {
            let rows = c
                .query(
                    "SELECT column_name::text, \
                            CASE WHEN data_type = 'numeric' \
                                 THEN format('numeric(%s,%s)', numeric_precision, numeric_scale) \
                                 ELSE data_type::text END \
                     FROM information_schema.columns \
                     WHERE table_schema = 'staging' AND table_name = $1 \
                     ORDER BY ordinal_position",
                    &[&t.table],
                )
                .await
                .unwrap();
            let found: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
            let expected: Vec<(String, String)> = LEADING_COLUMNS
                .iter()
                .map(|(n, ty)| ((*n).to_owned(), (*ty).to_owned()))
                .chain(
                    t.header
                        .iter()
                        .zip(t.kinds)
                        .map(|(n, k)| ((*n).to_owned(), k.sql_type().to_owned())),
                )
                .collect();
            assert_eq!(found, expected, "staging.{}", t.table);
        }
    }
}
