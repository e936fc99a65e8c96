//! Reading a specification from YAML and validating it: every identifier is plain (then
//! double-quoted, by `retention_pgsql`), and the column roles are consistent.

use std::collections::BTreeSet;

use serde::Deserialize;

use super::{DimensionSpec, FeedMode, Normalise};
use crate::{Error, Result};

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
        if self.allow_empty_snapshot && self.mode != FeedMode::Snapshot {
            return bad("allow_empty_snapshot needs mode: snapshot");
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

    /// The reason codes feed rows of this dimension are quarantined under
    /// (`bookkeeping.rejects`): `missing_<natural_key>` for a row without its key, then
    /// `missing_<effective_time>` for one without its effective time. The one place these
    /// codes are spelled, so that a list of the pipeline's codes can be checked against it.
    pub fn reject_reasons(&self) -> [String; 2] {
        [
            format!("missing_{}", self.natural_key),
            format!("missing_{}", self.effective_time),
        ]
    }

    /// The clean-up steps for each column, in [`columns`](Self::columns) order.
    pub(crate) fn normalisers(&self) -> Vec<&[Normalise]> {
        self.columns()
            .map(|c| self.normalise.get(c).map(Vec::as_slice).unwrap_or(&[]))
            .collect()
    }
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
