//! Where a load erases an erased user's personal data, as data: an [`Erasure`] is the same
//! (register, places) description `retention-scd` reads from `config/dimensions.yaml`
//! (`bookkeeping.erasures`, `erase_on_delete`, `erase_in`), and the loader's statements are
//! rendered from it, so the dimensions file is the one owner of the rule.
//!
//! The loader writes some of those places itself before `retention scd` ever runs, and
//! applies each such place as it writes it, from one template (`sql/erase_place.sql`):
//!
//! - a staging table it loads (`staging.users`): the rows of the new partition, before it is
//!   attached, so that a reloaded feed never brings back an erased user's email;
//! - its reject table (`quarantine.rejected_rows`): the batch's load rejects, whose raw line
//!   may hold the email. Only the columns a load writes are erased there (`raw`); the
//!   transform's copy of a row (`row_json`) is empty in a load reject and is the scd step's.
//!
//! Places in any other table are the scd step's and are skipped (a debug log says which).
//! The statement of a place erases, in the rows this load wrote (its batch; in the rejects,
//! stage `load`), the rows of an erased life: with a time column, rows of a batch before the
//! deletion's or effective at or before the deletion (`p.batch < e.batch OR p.time IS NULL OR
//! p.time <= e.time`); without one, rows of batches up to the deletion's
//! (`p.batch <= e.batch`) — the rules `retention-scd` applies when it erases. Every name is
//! checked to be plain and quoted by [`retention_pgsql`] before it reaches SQL.
//!
//! [`Erasure::built_in`] is the library default; a pipeline passes
//! [`Erasure::from_dimensions`] of its configured dimensions. A test checks that the two
//! agree for the shipped `config/dimensions.yaml`.

use retention_model::Stage;
use retention_pgsql::{IdentError, quote_ident, quote_plain, quote_plain_qualified};
use retention_scd::DimensionSpec;
pub use retention_scd::{ErasePlace, ErasureLog};

use crate::{Error, Result};

/// The template every place's statement is rendered from.
const ERASE_PLACE: &str = include_str!("../sql/erase_place.sql");

/// The table a load quarantines its refused records in (`sql/copy_rejects.sql`).
pub const REJECT_TABLE: &str = "quarantine.rejected_rows";

/// The columns of [`REJECT_TABLE`] a load writes (`sql/copy_rejects.sql`, checked by a
/// test): of that table's erased columns, the loader erases only these.
pub(crate) const LOAD_REJECT_COLUMNS: [&str; 8] = [
    "batch_date",
    "stage",
    "source_file",
    "source_line",
    "reason",
    "detail",
    "raw",
    "user_id",
];

/// The erasure rule a load applies: the register of erased keys and the places holding
/// their personal data.
///
/// It reuses `retention-scd`'s types, so that a dimensions file describes both steps.
/// `log` is `None` only when nothing is erased (no dimension has `erase_on_delete`): places
/// without a register are refused when a load starts ([`Error::Erasure`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erasure {
    /// The permanent register of erased keys (`ops.erasures`), consulted by every statement.
    pub log: Option<ErasureLog>,
    /// The personal columns of the erasing dimensions (their `erase_on_delete`): the fields
    /// a place's `json_column` has set to JSON null.
    pub erase_on_delete: Vec<String>,
    /// Every place holding an erased key's personal data; the loader applies those in the
    /// tables it writes.
    pub places: Vec<ErasePlace>,
}

impl Default for Erasure {
    /// [`Erasure::built_in`].
    fn default() -> Self {
        Self::built_in()
    }
}

impl Erasure {
    /// Nothing to erase: no register, no places.
    pub fn none() -> Self {
        Self {
            log: None,
            erase_on_delete: Vec::new(),
            places: Vec::new(),
        }
    }

    /// The built-in dimensions' erasure (`config/dimensions.yaml`'s `dim_user`): register
    /// `ops.erasures(user_id, deleted_at, batch_date)`; `email` and `full_name` nulled in
    /// `staging.users`; the raw line emptied (and the fields of `row_json` nulled) in
    /// `quarantine.rejected_rows`. The default of [`LoadOptions`](crate::LoadOptions).
    pub fn built_in() -> Self {
        let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        Self {
            log: Some(ErasureLog {
                table: "ops.erasures".into(),
                key_column: "user_id".into(),
                time_column: "deleted_at".into(),
                batch_column: "batch_date".into(),
            }),
            erase_on_delete: strings(&["email", "full_name"]),
            places: vec![
                ErasePlace {
                    table: "staging.users".into(),
                    key_column: "user_id".into(),
                    batch_column: "batch_date".into(),
                    time_column: Some("updated_at".into()),
                    null_columns: strings(&["email", "full_name"]),
                    json_column: None,
                    empty_columns: Vec::new(),
                },
                ErasePlace {
                    table: REJECT_TABLE.into(),
                    key_column: "user_id".into(),
                    batch_column: "batch_date".into(),
                    time_column: None,
                    null_columns: Vec::new(),
                    json_column: Some("row_json".into()),
                    empty_columns: strings(&["raw"]),
                },
            ],
        }
    }

    /// The erasure the dimensions describe: for every dimension with `erase_on_delete`, its
    /// register (`bookkeeping.erasures`), its personal columns and its `erase_in` places, in
    /// order. The loader consults one register, so erasing dimensions that name different
    /// registers are refused ([`Error::Erasure`]), as is one without a register.
    pub fn from_dimensions(dimensions: &[DimensionSpec]) -> Result<Self> {
        let mut out = Self::none();
        for d in dimensions.iter().filter(|d| !d.erase_on_delete.is_empty()) {
            let Some(log) = &d.bookkeeping.erasures else {
                return Err(Error::Erasure(format!(
                    "dimension {}: erase_on_delete without bookkeeping.erasures",
                    d.name
                )));
            };
            match &out.log {
                Some(first) if first != log => {
                    return Err(Error::Erasure(format!(
                        "dimension {}: erasure register {} differs from another dimension's {}; \
                         the loader consults one register",
                        d.name, log.table, first.table
                    )));
                }
                _ => out.log = Some(log.clone()),
            }
            for c in &d.erase_on_delete {
                if !out.erase_on_delete.contains(c) {
                    out.erase_on_delete.push(c.clone());
                }
            }
            out.places.extend(d.erase_in.iter().cloned());
        }
        Ok(out)
    }

    /// Checks the whole description (every name plain, each place erasing something, a
    /// register when there are places) and renders the statements of the places a load
    /// writes: the staging tables named in `staging_tables` (names inside `staging`) and
    /// [`REJECT_TABLE`]. Says in one debug log what it leaves to the scd step.
    pub(crate) fn plan(&self, staging_tables: &[&str]) -> Result<Plan> {
        for f in &self.erase_on_delete {
            column(f)?;
        }
        let mut plan = Plan::default();
        if self.places.is_empty() {
            return Ok(plan);
        }
        let Some(log) = &self.log else {
            return Err(Error::Erasure(
                "places to erase in but no erasure register (log)".into(),
            ));
        };
        let log = LogSql {
            table: table(&log.table)?,
            key: column(&log.key_column)?,
            time: column(&log.time_column)?,
            batch: column(&log.batch_column)?,
        };
        let mut left = Vec::new();
        for place in &self.places {
            let staging = place
                .table
                .strip_prefix("staging.")
                .filter(|t| staging_tables.contains(t));
            let (written, scope): (Option<&[&str]>, _) = if place.table == REJECT_TABLE {
                (
                    Some(&LOAD_REJECT_COLUMNS),
                    format!(
                        "p.{} = $1 AND p.{} = '{}'",
                        column(&place.batch_column)?,
                        quote_ident("stage"),
                        Stage::Load.as_str()
                    ),
                )
            } else {
                (None, format!("p.{} = $1", column(&place.batch_column)?))
            };
            let (sql, dropped) = PlaceSql::new(&log, &self.erase_on_delete, place, written, scope)?;
            left.extend(dropped.iter().map(|c| format!("{}.{c}", place.table)));
            match (sql, staging) {
                (None, _) => {}
                (Some(sql), Some(t)) => plan.staging.push((t.to_owned(), sql)),
                (Some(sql), None) if place.table == REJECT_TABLE => {
                    plan.rejects.push(sql.render(&table(REJECT_TABLE)?)?);
                }
                (Some(_), None) => left.push(place.table.clone()),
            }
        }
        if !left.is_empty() {
            tracing::debug!(
                places = %left.join(", "),
                "erasure: places the load does not write are left to the scd step"
            );
        }
        Ok(plan)
    }
}

/// The erasure statements of one load, checked and rendered before it starts.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// Per staging table (its name inside `staging`), a place's statement waiting for the
    /// name of the new partition.
    staging: Vec<(String, PlaceSql)>,
    /// The statements on the load's rejects, `$1` the batch.
    rejects: Vec<String>,
}

impl Plan {
    /// The statements erasing in `partition`, the new partition of `staging.<table>`
    /// (`$1` the batch).
    pub(crate) fn staging(&self, table: &str, partition: &str) -> Result<Vec<String>> {
        let target = format!("{}.{}", quote_ident("staging"), quote_ident(partition));
        self.staging
            .iter()
            .filter(|(t, _)| t == table)
            .map(|(_, sql)| sql.render(&target))
            .collect()
    }

    /// The statements erasing in the batch's load rejects (`$1` the batch).
    pub(crate) fn rejects(&self) -> &[String] {
        &self.rejects
    }
}

/// The register's quoted names.
struct LogSql {
    table: String,
    key: String,
    time: String,
    batch: String,
}

/// One place's statement, every fragment but its target rendered.
#[derive(Debug)]
struct PlaceSql {
    vars: Vec<(&'static str, String)>,
}

impl PlaceSql {
    /// The statement of `place` over the rows `scope` selects, or `None` when, of its
    /// erased columns, none is among `written` (the columns the load writes in that table;
    /// `None`: all). Also the erased columns left out for not being written.
    fn new(
        log: &LogSql,
        fields: &[String],
        place: &ErasePlace,
        written: Option<&[&str]>,
        scope: String,
    ) -> Result<(Option<Self>, Vec<String>)> {
        table(&place.table)?;
        let key = column(&place.key_column)?;
        let batch = column(&place.batch_column)?;
        let time = place.time_column.as_deref().map(column).transpose()?;
        let mut sets = Vec::new();
        let mut needed = Vec::new();
        let mut dropped = Vec::new();
        let mut erased = 0;
        let mut keep = |c: &str| {
            erased += 1;
            let keep = written.is_none_or(|w| w.contains(&c));
            if !keep {
                dropped.push(c.to_owned());
            }
            keep
        };
        for c in &place.null_columns {
            let q = column(c)?;
            if keep(c) {
                sets.push(format!("{q} = NULL"));
                needed.push(format!("p.{q} IS NOT NULL"));
            }
        }
        for c in &place.empty_columns {
            let q = column(c)?;
            if keep(c) {
                // substring(x FOR 0) is the empty value of x's own type (text or bytea).
                sets.push(format!("{q} = substring(p.{q} FROM 1 FOR 0)"));
                needed.push(format!("length(p.{q}) > 0"));
            }
        }
        if let Some(j) = place.json_column.as_deref().filter(|_| !fields.is_empty()) {
            let q = column(j)?;
            if keep(j) {
                let mut expr = format!("p.{q}");
                for field in fields {
                    // Plain names (checked by `plan`): nothing to escape in the path.
                    // create_missing = false: only fields present are nulled.
                    expr = format!("jsonb_set({expr}, '{{{field}}}', 'null', false)");
                }
                needed.push(format!("p.{q} IS DISTINCT FROM {expr}"));
                sets.push(format!("{q} = {expr}"));
            }
        }
        if erased == 0 {
            return Err(Error::Erasure(format!(
                "erase_in {}: nothing to erase",
                place.table
            )));
        }
        if sets.is_empty() {
            return Ok((None, dropped));
        }
        let life = match time {
            Some(t) => format!(
                "(p.{batch} < e.{} OR p.{t} IS NULL OR p.{t} <= e.{})",
                log.batch, log.time
            ),
            None => format!("p.{batch} <= e.{}", log.batch),
        };
        let vars = vec![
            ("set", sets.join(", ")),
            ("log", log.table.clone()),
            ("scope", scope),
            ("key", key),
            ("log_key", log.key.clone()),
            ("life", life),
            ("needed", needed.join(" OR ")),
        ];
        Ok((Some(Self { vars }), dropped))
    }

    /// The statement on `target` (a quoted table name).
    fn render(&self, target: &str) -> Result<String> {
        let mut vars: Vec<(&str, &str)> = vec![("target", target)];
        vars.extend(self.vars.iter().map(|(n, v)| (*n, v.as_str())));
        render(ERASE_PLACE, &vars)
    }
}

/// A column name from the description, checked plain and quoted.
fn column(name: &str) -> Result<String> {
    quote_plain(name).map_err(invalid)
}

/// A `schema.table` name from the description, each part checked plain and quoted.
fn table(name: &str) -> Result<String> {
    quote_plain_qualified(name).map_err(invalid)
}

fn invalid(e: IdentError) -> Error {
    Error::Erasure(e.to_string())
}

/// Fills `erase_place.sql`'s placeholders ([`retention_pgsql::render_template`]: values are
/// not scanned, so a JSON path like `'{email}'` in a value stays as it is).
fn render(template: &str, vars: &[(&str, &str)]) -> Result<String> {
    retention_pgsql::render_template(template, vars)
        .map_err(|e| Error::Erasure(format!("erase_place.sql: {e}")))
}

#[cfg(test)]
mod tests;
