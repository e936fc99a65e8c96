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
mod tests {
    use super::*;

    const STAGING: [&str; 3] = ["events", "users", "products"];

    /// The built-in description is the shipped dimensions configuration's: same register,
    /// personal columns and places (tables, keys, batches, times and columns).
    #[test]
    fn the_places_are_the_dimension_configurations_erase_in() {
        let text = include_str!("../../../config/dimensions.yaml");
        let dims = DimensionSpec::list_from_yaml(text).unwrap();
        assert_eq!(
            Erasure::from_dimensions(&dims).unwrap(),
            Erasure::built_in()
        );
    }

    #[test]
    fn the_built_in_places_render_exactly() {
        let plan = Erasure::built_in().plan(&STAGING).unwrap();
        assert_eq!(
            plan.staging("users", "users_20250304_loading").unwrap(),
            [format!(
                "{}UPDATE \"staging\".\"users_20250304_loading\" AS p\n\
                 SET \"email\" = NULL, \"full_name\" = NULL\n\
                 FROM \"ops\".\"erasures\" AS e\n\
                 WHERE p.\"batch_date\" = $1\n  \
                 AND p.\"user_id\" = e.\"user_id\"\n  \
                 AND (p.\"batch_date\" < e.\"batch_date\" OR p.\"updated_at\" IS NULL OR p.\"updated_at\" <= e.\"deleted_at\")\n  \
                 AND (p.\"email\" IS NOT NULL OR p.\"full_name\" IS NOT NULL)\n",
                header()
            )]
        );
        assert_eq!(
            plan.rejects(),
            [format!(
                "{}UPDATE \"quarantine\".\"rejected_rows\" AS p\n\
                 SET \"raw\" = substring(p.\"raw\" FROM 1 FOR 0)\n\
                 FROM \"ops\".\"erasures\" AS e\n\
                 WHERE p.\"batch_date\" = $1 AND p.\"stage\" = 'load'\n  \
                 AND p.\"user_id\" = e.\"user_id\"\n  \
                 AND p.\"batch_date\" <= e.\"batch_date\"\n  \
                 AND (length(p.\"raw\") > 0)\n",
                header()
            )]
        );
        assert!(
            plan.staging("events", "events_20250304_loading")
                .unwrap()
                .is_empty()
        );
        assert!(plan.staging("products", "x").unwrap().is_empty());
    }

    /// The template's comment lines, which every rendered statement starts with.
    fn header() -> String {
        ERASE_PLACE
            .lines()
            .take_while(|l| l.starts_with("--"))
            .map(|l| format!("{l}\n"))
            .collect()
    }

    /// A place's `json_column` nulls each personal field as `retention-scd` does, in a
    /// staging table the loader writes; in the rejects it is left to the scd step, since a
    /// load reject has no `row_json`.
    #[test]
    fn a_json_column_nulls_each_personal_field_where_the_load_writes_it() {
        let mut erasure = Erasure::built_in();
        erasure.places[0].json_column = Some("extra".into());
        erasure.places[0].null_columns = vec!["email".into()];
        let plan = erasure.plan(&STAGING).unwrap();
        let sql = plan.staging("users", "u").unwrap().concat();
        let expr = "jsonb_set(jsonb_set(p.\"extra\", '{email}', 'null', false), '{full_name}', 'null', false)";
        assert!(
            sql.contains(&format!("SET \"email\" = NULL, \"extra\" = {expr}\n")),
            "{sql}"
        );
        assert!(
            sql.contains(&format!(
                "AND (p.\"email\" IS NOT NULL OR p.\"extra\" IS DISTINCT FROM {expr})\n"
            )),
            "{sql}"
        );
        assert!(!plan.rejects().concat().contains("row_json"));
    }

    #[test]
    fn places_in_tables_the_load_does_not_write_are_skipped() {
        let mut erasure = Erasure::built_in();
        erasure.places.push(ErasePlace {
            table: "dw.somewhere".into(),
            ..erasure.places[0].clone()
        });
        // Only the column the load does not write: nothing left for the loader.
        erasure.places[1].empty_columns.clear();
        let plan = erasure.plan(&STAGING).unwrap();
        assert!(plan.rejects().is_empty());
        assert!(plan.staging.iter().all(|(t, _)| t == "users"));
        assert_eq!(plan.staging.len(), 1);
        // A staging table the load does not write is not applied either.
        let plan = Erasure::built_in().plan(&["events"]).unwrap();
        assert!(plan.staging.is_empty());
        assert_eq!(plan.rejects().len(), 1);
    }

    #[test]
    fn names_that_are_not_plain_and_empty_places_are_refused() {
        let refused = |e: Erasure| match e.plan(&STAGING) {
            Err(Error::Erasure(m)) => m,
            other => panic!("accepted: {other:?}"),
        };
        let mut e = Erasure::built_in();
        e.places[0]
            .null_columns
            .push("email = 'x', \"full_name".into());
        assert!(refused(e).contains("not a plain"));
        let mut e = Erasure::built_in();
        e.places.push(ErasePlace {
            table: "other.place; DROP TABLE x".into(),
            ..e.places[0].clone()
        });
        assert!(refused(e).contains("not a plain"));
        let mut e = Erasure::built_in();
        e.erase_on_delete.push("Email".into());
        assert!(refused(e).contains("not a plain"));
        let mut e = Erasure::built_in();
        if let Some(log) = &mut e.log {
            log.time_column = "deleted at".into();
        }
        assert!(refused(e).contains("not a plain"));
        let mut e = Erasure::built_in();
        e.places[0].null_columns.clear();
        assert_eq!(refused(e), "erase_in staging.users: nothing to erase");
        let mut e = Erasure::built_in();
        e.log = None;
        assert!(refused(e).contains("no erasure register"));
        assert!(Erasure::none().plan(&STAGING).unwrap().rejects().is_empty());
    }

    #[test]
    fn dimensions_without_erasure_erase_nothing_and_two_registers_are_refused() {
        let text = include_str!("../../../config/dimensions.yaml");
        let dims = DimensionSpec::list_from_yaml(text).unwrap();
        let products: Vec<_> = dims
            .iter()
            .filter(|d| d.name != "dim_user")
            .cloned()
            .collect();
        assert_eq!(
            Erasure::from_dimensions(&products).unwrap(),
            Erasure::none()
        );
        let mut other = dims[0].clone();
        other.name = "dim_other".into();
        if let Some(log) = &mut other.bookkeeping.erasures {
            log.table = "ops.other_erasures".into();
        }
        let two = [dims[0].clone(), other];
        assert!(matches!(
            Erasure::from_dimensions(&two),
            Err(Error::Erasure(m)) if m.contains("ops.other_erasures")
        ));
    }

    /// The columns the loader erases in its rejects are those `sql/copy_rejects.sql` writes.
    #[test]
    fn the_load_reject_columns_are_the_copys() {
        let sql = include_str!("../sql/copy_rejects.sql");
        let list = sql
            .split("rejected_rows (")
            .nth(1)
            .and_then(|s| s.split(')').next())
            .unwrap();
        let columns: Vec<&str> = list.split(',').map(str::trim).collect();
        assert_eq!(columns, LOAD_REJECT_COLUMNS);
    }

    #[test]
    fn render_fills_placeholders_once_and_refuses_unknown_ones() {
        let out = render("SELECT {a} FROM {b}", &[("a", "'{b}'"), ("b", "t")]).unwrap();
        assert_eq!(out, "SELECT '{b}' FROM t");
        assert!(matches!(render("SELECT {c}", &[]), Err(Error::Erasure(_))));
    }
}
