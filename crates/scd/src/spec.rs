//! [`DimensionSpec`]: what a dimension is, read from YAML and validated before any SQL is
//! built from it (every identifier is checked and then double-quoted).

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::{Error, Result};

/// One dimension: where its feed is, which columns it tracks and how, and where personal
/// data must be erased when a key is deleted.
///
/// The target table must carry the SCD bookkeeping columns `row_hash bytea`,
/// `valid_from timestamptz`, `valid_to timestamptz`, `is_current boolean`,
/// `is_deleted boolean`, `batch_date date` and `updated_in_batch date`, beside the natural
/// key, the surrogate key (an identity column) and the attribute columns, which have the
/// same names in the source table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionSpec {
    /// Short name, used in errors, the advisory lock and the batch log (`dim_user`).
    pub name: String,
    /// The SCD2 table, `schema.table`.
    pub target: String,
    /// The identity column of the target.
    pub surrogate_key: String,
    /// The natural key column, in both source and target.
    pub natural_key: String,
    /// The daily change feed.
    pub source: SourceSpec,
    /// Source column whose value becomes a version's `valid_from` (`updated_at`).
    pub effective_time: String,
    /// Source boolean column marking deletions, if the feed carries any.
    #[serde(default)]
    pub delete_flag: Option<String>,
    /// Tracked columns: a change makes a new version.
    pub type2: Vec<String>,
    /// Overwritten columns: a change rewrites every version of the key's current life.
    #[serde(default)]
    pub type1: Vec<String>,
    /// Columns set to NULL in every version of a key when it is deleted (personal data).
    #[serde(default)]
    pub erase_on_delete: Vec<String>,
    /// Clean-up applied to incoming values, per column, in the order given.
    #[serde(default)]
    pub normalise: BTreeMap<String, Vec<Normalise>>,
    /// Where merged batches (and erasures) are recorded.
    pub bookkeeping: Bookkeeping,
    /// Other tables holding the personal data of a deleted key.
    #[serde(default)]
    pub erase_in: Vec<ErasePlace>,
    /// Tables that may hold copies of personal values without their key (validation
    /// samples, error messages): the values a deletion erases are searched for there too.
    #[serde(default)]
    pub erase_copies_in: Vec<CopyPlace>,
}

/// The feed a dimension is merged from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// `schema.table`.
    pub table: String,
    /// The column naming the batch (logical day) a row arrived in.
    pub batch_column: String,
}

/// Tables the merge writes its own records to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bookkeeping {
    /// Merged batches: `(dimension text, batch_date date, fingerprint text, stats jsonb,
    /// merged_at timestamptz)`, primary key `(dimension, batch_date)`.
    pub batches: String,
    /// The erasure register, required when `erase_on_delete` is not empty.
    #[serde(default)]
    pub erasures: Option<ErasureLog>,
    /// Where feed rows that cannot be merged are quarantined. Without it they are only
    /// counted ([`MergeStats::rows_skipped`](crate::MergeStats::rows_skipped)).
    #[serde(default)]
    pub rejects: Option<RejectLog>,
}

/// The quarantine for feed rows without a natural key or an effective time, with the
/// reason codes `missing_<natural_key>` and `missing_<effective_time>`. The table has the
/// columns `(batch_date date, stage text, source_file text, source_line bigint, reason text,
/// detail text, row_json jsonb)` and, if `key_column` is given, that column for the key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectLog {
    /// `schema.table`.
    pub table: String,
    /// The value of its `stage` column for these rows.
    pub stage: String,
    /// The value of its `source_file` column (the feed's landing file).
    pub source_file: String,
    /// The source table's column holding each row's line in the landing file.
    pub line_column: String,
    /// A column of the quarantine table that receives the row's key when it has one, so
    /// erasure of that key reaches the quarantined row too.
    #[serde(default)]
    pub key_column: Option<String>,
}

/// The permanent register of erased keys, consulted by every write of personal data.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErasureLog {
    /// `schema.table`.
    pub table: String,
    /// Its natural key column.
    pub key_column: String,
    /// The deletion time: values effective at or before it stay erased.
    pub time_column: String,
    /// The batch that carried the deletion.
    pub batch_column: String,
}

/// A table with personal data of a key, erased when the key is deleted.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErasePlace {
    /// `schema.table`.
    pub table: String,
    /// The column holding the natural key.
    pub key_column: String,
    /// Rows of batches up to the deletion's batch are erased; later ones belong to a new life.
    pub batch_column: String,
    /// The rows' effective time, if they have one: rows of the deletion's own batch are then
    /// erased only up to the deletion (later rows of that batch are a new life of the key,
    /// deleted and re-created within the batch). Without it the whole batch is erased.
    #[serde(default)]
    pub time_column: Option<String>,
    /// Columns set to NULL.
    #[serde(default)]
    pub null_columns: Vec<String>,
    /// A jsonb column whose fields named like `erase_on_delete` columns become JSON null.
    #[serde(default)]
    pub json_column: Option<String>,
    /// Text or bytea columns emptied (kept non-NULL), e.g. raw rejected lines.
    #[serde(default)]
    pub empty_columns: Vec<String>,
}

/// A table where personal values may have been copied without their key, so that only the
/// values themselves can find them: validation samples, error messages. When keys are
/// deleted, the values their erasure removes (from the versions and the `erase_in` places,
/// trimmed, compared without regard to case) are replaced by `[erased]` here, in the same
/// transaction.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopyPlace {
    /// `schema.table`.
    pub table: String,
    /// jsonb columns: every JSON string equal to an erased value becomes `"[erased]"` (the
    /// document keeps its shape).
    #[serde(default)]
    pub json_columns: Vec<String>,
    /// Text columns: every occurrence of an erased value of three characters or more (a
    /// shorter one would match inside unrelated words) becomes `[erased]`.
    #[serde(default)]
    pub text_columns: Vec<String>,
}

/// One clean-up step for an incoming value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalise {
    /// Strip leading and trailing whitespace.
    Trim,
    /// An empty string becomes NULL.
    EmptyNull,
    /// Lower-case.
    Lower,
    /// Upper-case.
    Upper,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
    dimensions: Vec<DimensionSpec>,
}

impl DimensionSpec {
    /// Reads one dimension from a YAML document and validates it.
    pub fn from_yaml(text: &str) -> Result<Self> {
        let spec: Self =
            serde_saphyr::from_str(text).map_err(|e| Error::Config(format!("dimension: {e}")))?;
        spec.validate()?;
        Ok(spec)
    }

    /// Reads a file of the form `dimensions: [ ... ]` and validates every entry.
    pub fn list_from_yaml(text: &str) -> Result<Vec<Self>> {
        let file: SpecFile =
            serde_saphyr::from_str(text).map_err(|e| Error::Config(format!("dimensions: {e}")))?;
        let mut names = BTreeSet::new();
        for spec in &file.dimensions {
            spec.validate()?;
            if !names.insert(spec.name.as_str()) {
                return Err(Error::Config(format!(
                    "dimension {} given twice",
                    spec.name
                )));
            }
        }
        Ok(file.dimensions)
    }

    /// Checks identifiers and that the column roles are consistent.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: &str| Err(Error::Config(format!("dimension {}: {what}", self.name)));
        if self.name.is_empty() {
            return Err(Error::Config("a dimension has an empty name".into()));
        }
        for t in [&self.target, &self.source.table, &self.bookkeeping.batches] {
            table_ident(t)?;
        }
        let mut singles = vec![
            &self.surrogate_key,
            &self.natural_key,
            &self.source.batch_column,
            &self.effective_time,
        ];
        singles.extend(self.delete_flag.iter());
        singles.extend(self.type2.iter().chain(&self.type1));
        for c in singles {
            column_ident(c)?;
        }
        if self.type2.is_empty() {
            return bad("type2 must name at least one column");
        }
        let mut seen = BTreeSet::new();
        for c in self.type2.iter().chain(&self.type1) {
            if !seen.insert(c.as_str()) || *c == self.natural_key {
                return bad(&format!(
                    "column {c} appears twice among key, type2 and type1"
                ));
            }
        }
        for c in self.erase_on_delete.iter().chain(self.normalise.keys()) {
            if !seen.contains(c.as_str()) {
                return bad(&format!("{c} is not a type2 or type1 column"));
            }
        }
        if !self.erase_on_delete.is_empty() {
            if self.delete_flag.is_none() {
                return bad("erase_on_delete needs a delete_flag");
            }
            let Some(log) = &self.bookkeeping.erasures else {
                return bad("erase_on_delete needs bookkeeping.erasures");
            };
            table_ident(&log.table)?;
            for c in [&log.key_column, &log.time_column, &log.batch_column] {
                column_ident(c)?;
            }
        }
        if let Some(rejects) = &self.bookkeeping.rejects {
            table_ident(&rejects.table)?;
            column_ident(&rejects.line_column)?;
            if let Some(k) = &rejects.key_column {
                column_ident(k)?;
            }
        }
        for p in &self.erase_in {
            if self.erase_on_delete.is_empty() {
                return bad("erase_in without erase_on_delete");
            }
            table_ident(&p.table)?;
            let cols = p.null_columns.iter().chain(&p.empty_columns);
            for c in [&p.key_column, &p.batch_column]
                .into_iter()
                .chain(cols)
                .chain(p.json_column.iter())
            {
                column_ident(c)?;
            }
        }
        for p in &self.erase_copies_in {
            if self.erase_on_delete.is_empty() {
                return bad("erase_copies_in without erase_on_delete");
            }
            table_ident(&p.table)?;
            if p.json_columns.is_empty() && p.text_columns.is_empty() {
                return bad(&format!(
                    "erase_copies_in {}: no json_columns or text_columns",
                    p.table
                ));
            }
            for c in p.json_columns.iter().chain(&p.text_columns) {
                column_ident(c)?;
            }
        }
        Ok(())
    }

    /// The attribute columns in the order the merge carries them: type 2, then type 1.
    pub fn columns(&self) -> impl Iterator<Item = &str> {
        self.type2.iter().chain(&self.type1).map(String::as_str)
    }

    /// Positions (in [`columns`](Self::columns) order) of the columns erased on deletion.
    pub fn erase_positions(&self) -> Vec<usize> {
        self.columns()
            .enumerate()
            .filter(|(_, c)| self.erase_on_delete.iter().any(|e| e == c))
            .map(|(i, _)| i)
            .collect()
    }

    /// The clean-up steps for each column, in [`columns`](Self::columns) order.
    pub(crate) fn normalisers(&self) -> Vec<&[Normalise]> {
        self.columns()
            .map(|c| self.normalise.get(c).map(Vec::as_slice).unwrap_or(&[]))
            .collect()
    }
}

/// Applies clean-up steps to one value.
pub fn normalise_value(value: Option<String>, steps: &[Normalise]) -> Option<String> {
    let mut v = value?;
    for step in steps {
        match step {
            Normalise::Trim => v = v.trim().to_owned(),
            Normalise::EmptyNull if v.is_empty() => return None,
            Normalise::EmptyNull => {}
            Normalise::Lower => v = v.to_lowercase(),
            Normalise::Upper => v = v.to_uppercase(),
        }
    }
    Some(v)
}

/// A name from the specification as a double-quoted identifier: it must be plain
/// ([`retention_pgsql::is_plain`]), else it is a configuration error.
pub(crate) fn column_ident(name: &str) -> Result<String> {
    retention_pgsql::quote_plain(name).map_err(config)
}

/// `schema.table` from the specification, each part plain and quoted
/// ([`retention_pgsql::quote_plain_qualified`]), else a configuration error.
pub(crate) fn table_ident(name: &str) -> Result<String> {
    retention_pgsql::quote_plain_qualified(name).map_err(config)
}

fn config(e: retention_pgsql::IdentError) -> Error {
    Error::Config(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dimension with erasure, as a project would write one. The tests need nothing outside
    /// the crate, so that they run from its package too (the project's own
    /// `config/dimensions.yaml` is checked by the integration tests, `tests/scd/project.rs`).
    const SPECS: &str = "
dimensions:
  - name: dim_user
    target: dw.dim_user
    surrogate_key: user_sk
    natural_key: user_id
    source: {table: staging.users, batch_column: batch_date}
    effective_time: updated_at
    delete_flag: is_deleted
    type2: [country, plan]
    type1: [email, full_name]
    erase_on_delete: [email, full_name]
    normalise:
      email: [trim, empty_null, lower]
    bookkeeping:
      batches: ops.scd_batches
      erasures: {table: ops.erasures, key_column: user_id, time_column: deleted_at, batch_column: batch_date}
";

    #[test]
    fn a_dimensions_file_parses_and_validates() {
        let specs = DimensionSpec::list_from_yaml(SPECS).unwrap();
        assert_eq!(specs.len(), 1);
        assert_eq!(specs[0].type2, ["country", "plan"]);
        assert_eq!(
            specs[0].columns().collect::<Vec<_>>(),
            ["country", "plan", "email", "full_name"]
        );
        assert_eq!(specs[0].erase_positions(), [2, 3]);
    }

    #[test]
    fn quoted_identifiers_refuse_anything_but_plain_names() {
        assert_eq!(table_ident("dw.dim_user").unwrap(), "\"dw\".\"dim_user\"");
        for bad in ["dim_user", "dw.Dim", "dw.a\"b", "dw.a;drop", "dw."] {
            assert!(table_ident(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn erase_columns_must_be_attributes() {
        let mut spec = DimensionSpec::list_from_yaml(SPECS).unwrap().remove(0);
        spec.erase_on_delete.push("password".into());
        let err = spec.validate().unwrap_err().to_string();
        assert_eq!(
            err,
            "configuration: dimension dim_user: password is not a type2 or type1 column"
        );
    }

    #[test]
    fn normalise_trims_empties_and_cases_in_order() {
        use Normalise::*;
        let v = |s: &str| Some(s.to_owned());
        assert_eq!(
            normalise_value(v("  A@B.io "), &[Trim, EmptyNull, Lower]),
            v("a@b.io")
        );
        assert_eq!(normalise_value(v("   "), &[Trim, EmptyNull, Upper]), None);
        assert_eq!(
            normalise_value(v(" de"), &[Trim, EmptyNull, Upper]),
            v("DE")
        );
        assert_eq!(normalise_value(v("  "), &[]), v("  "));
        assert_eq!(normalise_value(None, &[Trim]), None);
    }
}
