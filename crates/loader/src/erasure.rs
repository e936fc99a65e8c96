//! The places the loader erases personal data in, as data: the same (table, key, batch,
//! time, columns) description `retention-scd` reads from `config/dimensions.yaml`
//! (`erase_in`, `bookkeeping.erasures`).
//!
//! The loader writes two of those places itself before `retention scd` ever runs: a new
//! `staging.users` partition (`sql/erase_users.sql`: a reloaded feed must not bring back an
//! erased user's email) and its own load rejects (`sql/erase_rejects.sql`: the raw line).
//! Tests check that the built-in dimensions configuration lists exactly these places with
//! these columns, and that each statement erases exactly its place's columns, so neither
//! side can add or drop a personal column alone.

/// One table the loader erases an erased user's personal data in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErasePlace {
    /// `schema.table`.
    pub table: &'static str,
    /// The column holding the user id.
    pub key_column: &'static str,
    /// The batch column: rows up to the deletion's batch belong to the erased life.
    pub batch_column: &'static str,
    /// The rows' effective time, when they have one.
    pub time_column: Option<&'static str>,
    /// Columns set to NULL.
    pub null_columns: &'static [&'static str],
    /// Columns emptied (kept non-NULL).
    pub empty_columns: &'static [&'static str],
}

/// The erasure register the loader consults: `ops.erasures(user_id, deleted_at, batch_date)`.
pub const ERASURE_LOG: (&str, &str, &str, &str) =
    ("ops.erasures", "user_id", "deleted_at", "batch_date");

/// Every place the loader erases, in the order it erases them.
pub const ERASE_PLACES: [ErasePlace; 2] = [
    ErasePlace {
        table: "staging.users",
        key_column: "user_id",
        batch_column: "batch_date",
        time_column: Some("updated_at"),
        null_columns: &["email", "full_name"],
        empty_columns: &[],
    },
    ErasePlace {
        table: "quarantine.rejected_rows",
        key_column: "user_id",
        batch_column: "batch_date",
        time_column: None,
        null_columns: &[],
        empty_columns: &["raw"],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{ERASE_REJECTS, ERASE_USERS};

    /// The `SET a = …, b = …` columns of an `UPDATE` statement, comments skipped.
    fn set_columns(sql: &str) -> Vec<String> {
        let code: String = sql
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        let after = code.split("SET").nth(1).unwrap_or_default();
        let set = after.split("FROM").next().unwrap_or_default();
        set.split(',')
            .filter_map(|a| a.split('=').next())
            .map(|c| c.trim().to_owned())
            .collect()
    }

    #[test]
    fn each_statement_erases_exactly_its_places_columns() {
        let users = &ERASE_PLACES[0];
        assert_eq!(set_columns(ERASE_USERS), users.null_columns);
        assert!(ERASE_USERS.contains(&format!("u.{}", users.time_column.unwrap_or_default())));
        let rejects = &ERASE_PLACES[1];
        assert_eq!(set_columns(ERASE_REJECTS), rejects.empty_columns);
        assert!(ERASE_REJECTS.contains(&format!("UPDATE {} AS r", rejects.table)));
        for sql in [ERASE_USERS, ERASE_REJECTS] {
            assert!(sql.contains(&format!("FROM {} AS e", ERASURE_LOG.0)));
            assert!(sql.contains(&format!("e.{}", ERASURE_LOG.1)));
            assert!(sql.contains(&format!("e.{}", ERASURE_LOG.3)));
        }
        assert!(ERASE_USERS.contains(&format!("e.{}", ERASURE_LOG.2)));
    }

    /// The loader's places are the dimensions configuration's: same tables, keys, batches,
    /// times and columns (the configuration's `json_column` is the transform rejects' copy,
    /// which the loader never writes).
    #[test]
    fn the_places_are_the_dimension_configurations_erase_in() {
        let text = include_str!("../../../config/dimensions.yaml");
        let dims = retention_scd::DimensionSpec::list_from_yaml(text).unwrap();
        let user = dims.iter().find(|d| d.name == "dim_user").unwrap();
        let configured: Vec<_> = user
            .erase_in
            .iter()
            .map(|p| {
                (
                    p.table.as_str(),
                    p.key_column.as_str(),
                    p.batch_column.as_str(),
                    p.time_column.as_deref(),
                    p.null_columns
                        .iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>(),
                    p.empty_columns
                        .iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        let ours: Vec<_> = ERASE_PLACES
            .iter()
            .map(|p| {
                (
                    p.table,
                    p.key_column,
                    p.batch_column,
                    p.time_column,
                    p.null_columns.to_vec(),
                    p.empty_columns.to_vec(),
                )
            })
            .collect();
        assert_eq!(ours, configured);
        let log = user.bookkeeping.erasures.as_ref().unwrap();
        assert_eq!(
            (
                log.table.as_str(),
                log.key_column.as_str(),
                log.time_column.as_str(),
                log.batch_column.as_str()
            ),
            ERASURE_LOG
        );
    }
}
