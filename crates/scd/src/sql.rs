//! The SQL of one dimension: the templates in the crate's `sql/` directory filled with the
//! specification's quoted identifiers and the column types read from the catalog.
//!
//! This module renders the statements on the dimension itself ([`DimensionSql::prepare`]);
//! `other_tables` renders those on the tables around it (the reject log, the `erase_in`
//! places, the `erase_copies_in` copies), and `render` fills a template's placeholders.

use std::collections::HashMap;

use tokio_postgres::GenericClient;

use crate::{
    DimensionSpec, Error, FeedMode, Result,
    spec::{column_ident, table_ident},
};

/// A template of the crate's `sql/` directory, by name (the path is the crate's own, so that
/// every module of `sql` can use it).
macro_rules! template {
    ($name:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/sql/", $name, ".sql"))
    };
}

mod other_tables;
mod render;

use self::render::{list, render, with};

/// Whether a merge's writes call for fresh planner statistics ($1 rows written, $2 table).
pub(crate) const ANALYZE_NEEDED: &str = template!("analyze_needed");

/// Whether a table erasures probe by key ($1, key column $2) lacks statistics and may be analysed.
pub(crate) const PLACE_UNANALYSED: &str = template!("place_unanalysed");

/// JIT off for the rest of the transaction; returns the setting it had.
pub(crate) const JIT_OFF: &str = template!("jit_off");

/// JIT back to the setting `JIT_OFF` returned ($1).
pub(crate) const JIT_RESTORE: &str = template!("jit_restore");

/// Every statement the executor runs for one dimension, rendered once per merge.
#[derive(Debug)]
pub(crate) struct DimensionSql {
    pub source_rows: String,
    /// `source_rows` in the order surrogate keys are given (the key's own type), so a large
    /// batch can be merged a slice of keys at a time. In snapshot mode it also holds a
    /// deletion row for each current key absent from the batch, and a column saying which
    /// rows those are (`sql/source_rows_snapshot.sql`: `$2` is the snapshot time).
    pub source_rows_by_key: String,
    pub latest_before: String,
    pub current_state: String,
    pub erasures: Option<String>,
    pub actions_table: String,
    pub actions_copy: String,
    pub close: String,
    pub type1: Option<String>,
    pub insert: String,
    pub erase_log: Option<String>,
    pub erase_versions: Option<String>,
    pub erase_places: Vec<String>,
    pub erase_copies: Option<EraseCopies>,
    pub rejects: Option<(String, String)>,
    pub batch_merged: String,
    pub batch_record: String,
    pub rebuild_keys: String,
    pub rebuild_delete: String,
    pub rebuild_reopen: String,
    pub rebuild_audit: String,
    pub rebuild_forget: String,
    /// The batches a rebuild replays (`$1`, `$2`: the range; in snapshot mode `$3`: the
    /// dimension, whose merged empty batches are replayed too).
    pub rebuild_batches: String,
    pub lock: &'static str,
}

/// The statements that find copies of erased values kept without their key
/// (`erase_copies_in`): gather the values before they are erased, then replace them.
#[derive(Debug)]
pub(crate) struct EraseCopies {
    /// Creates the temporary table of the round's erased values.
    pub values_table: &'static str,
    /// Gathers the values of the versions about to be erased.
    pub from_versions: String,
    /// Gathers the values of the `erase_in` rows about to be erased (`$1`: the batch).
    pub from_places: Vec<String>,
    /// Replaces the values in each column of each `erase_copies_in` table.
    pub replace: Vec<String>,
}

/// The column types of `table` (`schema.table`), from the catalog.
async fn column_types(client: &impl GenericClient, table: &str) -> Result<HashMap<String, String>> {
    let rows = client
        .query(template!("columns"), &[&table_ident(table)?])
        .await?;
    if rows.is_empty() {
        return Err(Error::Schema(format!("table {table} does not exist")));
    }
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

fn type_of<'a>(types: &'a HashMap<String, String>, table: &str, col: &str) -> Result<&'a str> {
    types
        .get(col)
        .map(String::as_str)
        .ok_or_else(|| Error::Schema(format!("{table} has no column {col}")))
}

impl DimensionSql {
    /// Checks the specification against the database and renders every statement.
    pub async fn prepare(client: &impl GenericClient, spec: &DimensionSpec) -> Result<Self> {
        let target_types = column_types(client, &spec.target).await?;
        let source_types = column_types(client, &spec.source.table).await?;
        let q = |c: &str| column_ident(c);
        let cols: Vec<String> = spec.columns().map(q).collect::<Result<_>>()?;
        let mut casts = Vec::with_capacity(cols.len());
        for c in spec.columns() {
            let ty = type_of(&target_types, &spec.target, c)?;
            type_of(&source_types, &spec.source.table, c)?;
            casts.push(format!("a.\"{c}\"::{ty}"));
        }
        let mut source_cols = vec![spec.natural_key.as_str(), spec.effective_time.as_str()];
        source_cols.push(&spec.source.batch_column);
        source_cols.extend(spec.delete_flag.as_deref());
        for c in source_cols {
            type_of(&source_types, &spec.source.table, c)?;
        }
        type_of(&target_types, &spec.target, &spec.surrogate_key)?;
        let key_type = type_of(&target_types, &spec.target, &spec.natural_key)?.to_owned();

        let target = table_ident(&spec.target)?;
        let source = table_ident(&spec.source.table)?;
        let batches = table_ident(&spec.bookkeeping.batches)?;
        let key = q(&spec.natural_key)?;
        let sk = q(&spec.surrogate_key)?;
        let effective = q(&spec.effective_time)?;
        let batch = q(&spec.source.batch_column)?;
        let deleted = match &spec.delete_flag {
            Some(f) => format!("coalesce(s.{}, false)", q(f)?),
            None => "false".to_owned(),
        };
        let s_values = list(&cols, |c| format!("s.{c}::text"), ", ");
        let snapshot = spec.mode == FeedMode::Snapshot;
        // A snapshot row without a time is at the snapshot time: its batch day's start (UTC).
        let row_time = if snapshot {
            format!("coalesce(s.{effective}, (s.{batch}::date)::timestamp AT TIME ZONE 'UTC')")
        } else {
            format!("s.{effective}")
        };
        let latest_order = if snapshot {
            format!("s.{batch} DESC, {row_time} DESC")
        } else {
            format!("{row_time} DESC, s.{batch} DESC")
        };
        let unmergeable = if snapshot {
            format!("s.{key} IS NULL")
        } else {
            format!("s.{key} IS NULL OR s.{effective} IS NULL")
        };
        let d_values = list(&cols, |c| format!("d.{c}::text"), ", ");
        let value_defs = list(&cols, |c| format!("{c} text"), ",\n    ");
        let col_list = cols.join(", ");
        let cols_cast = casts.join(", ");
        let n2 = spec.type2.len();
        let type1_cols = &cols[n2..];
        let type1_casts = &casts[n2..];
        let base: Vec<(&str, &str)> = vec![
            ("target", &target),
            ("source", &source),
            ("batches", &batches),
            ("key", &key),
            ("sk", &sk),
            ("key_type", &key_type),
            ("effective", &effective),
            ("batch", &batch),
            ("deleted", &deleted),
            ("row_time", &row_time),
            ("latest_order", &latest_order),
            ("unmergeable", &unmergeable),
            ("cols", &col_list),
            ("cols_cast", &cols_cast),
            ("value_defs", &value_defs),
        ];
        let r = |t: &str, vars: &[(&str, &str)]| render(t, vars);

        let (mut erasures, mut erase_log, mut erase_versions) = (None, None, None);
        let mut erase_places = Vec::new();
        let mut erase_copies = None;
        if let (false, Some(log)) = (spec.erase_on_delete.is_empty(), &spec.bookkeeping.erasures) {
            let log_types = column_types(client, &log.table).await?;
            for c in [&log.key_column, &log.time_column, &log.batch_column] {
                type_of(&log_types, &log.table, c)?;
            }
            let log_t = table_ident(&log.table)?;
            let (lk, lt, lb) = (
                q(&log.key_column)?,
                q(&log.time_column)?,
                q(&log.batch_column)?,
            );
            let erase: Vec<String> = spec
                .erase_on_delete
                .iter()
                .map(|c| q(c))
                .collect::<Result<_>>()?;
            let erase_null = list(&erase, |c| format!("{c} = NULL"), ", ");
            let erase_needed = list(&erase, |c| format!("d.{c} IS NOT NULL"), " OR ");
            let log_vars = with(
                &base,
                &[
                    ("log", &log_t),
                    ("log_key", &lk),
                    ("log_time", &lt),
                    ("log_batch", &lb),
                    ("erase_null", &erase_null),
                    ("erase_needed", &erase_needed),
                ],
            );
            erasures = Some(r(template!("erasures"), &log_vars)?);
            erase_log = Some(r(template!("erase_log"), &log_vars)?);
            erase_versions = Some(r(template!("erase_versions"), &log_vars)?);
            let mut from_places = Vec::new();
            for place in &spec.erase_in {
                let (erase, gather) = Self::place(client, spec, place, &base).await?;
                erase_places.push(erase);
                from_places.extend(gather);
            }
            if !spec.erase_copies_in.is_empty() {
                let erased_values = list(&erase, |c| format!("(d.{c}::text)"), ", ");
                erase_copies = Some(EraseCopies {
                    values_table: template!("erased_values_table"),
                    from_versions: r(
                        template!("erased_values_versions"),
                        &with(&base, &[("erased_values", &erased_values)]),
                    )?,
                    from_places,
                    replace: Self::copies(client, spec).await?,
                });
            }
        }

        let rejects = match &spec.bookkeeping.rejects {
            Some(log) => Some(Self::rejects(client, spec, log, &base).await?),
            None => None,
        };

        // A type-1 rewrite never writes erased columns into versions of an erased life.
        let guard = match (&spec.bookkeeping.erasures, spec.erase_on_delete.is_empty()) {
            (Some(log), false) => Some(format!(
                "(SELECT max(e.{}) FROM {} AS e WHERE e.{} = d.{key})",
                q(&log.time_column)?,
                table_ident(&log.table)?,
                q(&log.key_column)?
            )),
            _ => None,
        };
        let type1 = if type1_cols.is_empty() {
            None
        } else {
            let values: Vec<String> = spec
                .type1
                .iter()
                .zip(type1_casts)
                .map(|(c, cast)| match &guard {
                    Some(g) if spec.erase_on_delete.contains(c) => {
                        format!("CASE WHEN d.valid_from < {g} THEN NULL ELSE {cast} END")
                    }
                    _ => cast.clone(),
                })
                .collect();
            let set = type1_cols
                .iter()
                .zip(&values)
                .map(|(c, v)| format!("{c} = {v}"))
                .collect::<Vec<_>>()
                .join(", ");
            let differs = type1_cols
                .iter()
                .zip(&values)
                .map(|(c, v)| format!("d.{c} IS DISTINCT FROM {v}"))
                .collect::<Vec<_>>()
                .join(" OR ");
            Some(r(
                template!("type1"),
                &with(&base, &[("type1_set", &set), ("type1_differs", &differs)]),
            )?)
        };

        Ok(Self {
            source_rows: r(
                template!("source_rows"),
                &with(&base, &[("values", &s_values)]),
            )?,
            source_rows_by_key: if snapshot {
                let aliased: Vec<String> = (1..=cols.len()).map(|i| format!("v{i}")).collect();
                let s_aliased = cols
                    .iter()
                    .zip(&aliased)
                    .map(|(c, a)| format!("s.{c}::text AS {a}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                r(
                    template!("source_rows_snapshot"),
                    &with(
                        &base,
                        &[
                            ("s_values", &s_aliased),
                            ("u_values", &list(&aliased, |a| format!("u.{a}"), ", ")),
                            ("null_values", &list(&cols, |_| "NULL::text".into(), ", ")),
                        ],
                    ),
                )?
            } else {
                r(
                    &format!(
                        "{}\nORDER BY s.{{key}}",
                        template!("source_rows").trim_end()
                    ),
                    &with(&base, &[("values", &s_values)]),
                )?
            },
            latest_before: r(
                template!("latest_before"),
                &with(&base, &[("values", &s_values)]),
            )?,
            current_state: r(
                template!("current_state"),
                &with(&base, &[("values", &d_values)]),
            )?,
            erasures,
            actions_table: r(template!("actions_table"), &base)?,
            actions_copy: r(template!("actions_copy"), &base)?,
            close: r(template!("close"), &base)?,
            type1,
            insert: r(template!("insert"), &base)?,
            erase_log,
            erase_versions,
            erase_places,
            erase_copies,
            rejects,
            batch_merged: r(template!("batch_merged"), &base)?,
            batch_record: r(template!("batch_record"), &base)?,
            rebuild_keys: r(template!("rebuild_keys"), &base)?,
            rebuild_delete: r(template!("rebuild_delete"), &base)?,
            rebuild_reopen: r(template!("rebuild_reopen"), &base)?,
            rebuild_audit: r(template!("rebuild_audit"), &base)?,
            rebuild_forget: r(template!("rebuild_forget"), &base)?,
            rebuild_batches: if snapshot {
                r(template!("rebuild_batches_snapshot"), &base)?
            } else {
                r(template!("rebuild_batches"), &base)?
            },
            lock: template!("lock"),
        })
    }
}
