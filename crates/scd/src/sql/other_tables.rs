//! The statements on the tables around a dimension: the reject log of its feed, the
//! `erase_in` places holding a deleted key's personal data, and the `erase_copies_in` tables
//! holding copies of its values without the key.

use tokio_postgres::GenericClient;

use super::{
    DimensionSql, column_types,
    render::{literal, render, with},
    type_of,
};
use crate::{
    DimensionSpec, Error, Result,
    spec::{column_ident, table_ident},
};

impl DimensionSql {
    /// The delete and insert statements of the reject log.
    pub(super) async fn rejects(
        client: &impl GenericClient,
        spec: &DimensionSpec,
        log: &crate::spec::RejectLog,
        base: &[(&str, &str)],
    ) -> Result<(String, String)> {
        let types = column_types(client, &log.table).await?;
        for c in [
            "batch_date",
            "stage",
            "source_file",
            "source_line",
            "reason",
            "detail",
            "row_json",
        ] {
            type_of(&types, &log.table, c)?;
        }
        let source_types = column_types(client, &spec.source.table).await?;
        type_of(&source_types, &spec.source.table, &log.line_column)?;
        let table = table_ident(&log.table)?;
        let line = column_ident(&log.line_column)?;
        let (key_col, key_val) = match &log.key_column {
            Some(k) => {
                type_of(&types, &log.table, k)?;
                (
                    format!(", {}", column_ident(k)?),
                    format!(", s.{}", column_ident(&spec.natural_key)?),
                )
            }
            None => (String::new(), String::new()),
        };
        let row_json = match (&spec.bookkeeping.erasures, spec.erase_on_delete.is_empty()) {
            (Some(e), false) => {
                let nulls = spec
                    .erase_on_delete
                    .iter()
                    .map(|c| format!("{}, NULL", literal(c)))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!(
                    "CASE WHEN EXISTS (SELECT 1 FROM {} AS e WHERE e.{} = s.{}) \
                     THEN to_jsonb(s) || jsonb_build_object({nulls}) ELSE to_jsonb(s) END",
                    table_ident(&e.table)?,
                    column_ident(&e.key_column)?,
                    column_ident(&spec.natural_key)?
                )
            }
            _ => "to_jsonb(s)".to_owned(),
        };
        let [missing_key, missing_time] = spec.reject_reasons().map(|code| literal(&code));
        let key_detail = literal(&format!(
            "{} is empty: the row cannot be merged",
            spec.natural_key
        ));
        let time_detail = literal(&format!(
            "{} is empty: the row has no point in history",
            spec.effective_time
        ));
        let vars = with(
            base,
            &[
                ("rejects", &table),
                ("line", &line),
                ("reject_key_col", &key_col),
                ("reject_key_val", &key_val),
                ("row_json", &row_json),
                ("missing_key", &missing_key),
                ("missing_time", &missing_time),
                ("missing_key_detail", &key_detail),
                ("missing_time_detail", &time_detail),
            ],
        );
        Ok((
            render(template!("rejects_delete"), &vars)?,
            render(template!("rejects_insert"), &vars)?,
        ))
    }

    /// The erasure of one `erase_in` place, and the statement gathering the values it erases
    /// (`None` when it only empties raw columns, whose values cannot be told apart).
    pub(super) async fn place(
        client: &impl GenericClient,
        spec: &DimensionSpec,
        place: &crate::ErasePlace,
        base: &[(&str, &str)],
    ) -> Result<(String, Option<String>)> {
        let types = column_types(client, &place.table).await?;
        let mut sets = Vec::new();
        let mut needed = Vec::new();
        let mut values = Vec::new();
        for c in &place.null_columns {
            type_of(&types, &place.table, c)?;
            let c = column_ident(c)?;
            sets.push(format!("{c} = NULL"));
            needed.push(format!("p.{c} IS NOT NULL"));
            values.push(format!("(p.{c}::text)"));
        }
        for c in &place.empty_columns {
            type_of(&types, &place.table, c)?;
            let c = column_ident(c)?;
            // substring(x FOR 0) is the empty value of x's own type (text or bytea).
            sets.push(format!("{c} = substring(p.{c} FROM 1 FOR 0)"));
            needed.push(format!("length(p.{c}) > 0"));
        }
        if let Some(j) = &place.json_column {
            type_of(&types, &place.table, j)?;
            let j = column_ident(j)?;
            let mut expr = format!("p.{j}");
            for field in &spec.erase_on_delete {
                // create_missing = false: only fields present are nulled.
                expr = format!("jsonb_set({expr}, '{{{field}}}', 'null', false)");
                values.push(format!("(p.{j} ->> {})", literal(field)));
            }
            needed.push(format!("p.{j} IS DISTINCT FROM {expr}"));
            sets.push(format!("{j} = {expr}"));
        }
        for c in [&place.key_column, &place.batch_column] {
            type_of(&types, &place.table, c)?;
        }
        let pb = column_ident(&place.batch_column)?;
        let same_batch = match &place.time_column {
            Some(t) => {
                type_of(&types, &place.table, t)?;
                let t = column_ident(t)?;
                format!("(p.{pb} < $1 OR p.{t} IS NULL OR p.{t} <= a.effective)")
            }
            None => "true".to_owned(),
        };
        if sets.is_empty() {
            return Err(Error::Config(format!(
                "erase_in {}: nothing to erase",
                place.table
            )));
        }
        let table = table_ident(&place.table)?;
        let pk = column_ident(&place.key_column)?;
        let set = sets.join(", ");
        let need = needed.join(" OR ");
        let place_values = values.join(", ");
        let mut vars = base.to_vec();
        vars.extend([
            ("table", table.as_str()),
            ("place_key", pk.as_str()),
            ("place_batch", pb.as_str()),
            ("place_set", set.as_str()),
            ("place_needed", need.as_str()),
            ("place_same_batch", same_batch.as_str()),
            ("place_values", place_values.as_str()),
        ]);
        let gather = if values.is_empty() {
            None
        } else {
            Some(render(template!("erased_values_place"), &vars)?)
        };
        Ok((render(template!("erase_place"), &vars)?, gather))
    }

    /// One replacement per column of each `erase_copies_in` table, its type checked.
    pub(super) async fn copies(
        client: &impl GenericClient,
        spec: &DimensionSpec,
    ) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for place in &spec.erase_copies_in {
            let types = column_types(client, &place.table).await?;
            let table = table_ident(&place.table)?;
            let columns = place
                .json_columns
                .iter()
                .map(|c| (c, "jsonb", template!("erase_copies_json")))
                .chain(
                    place
                        .text_columns
                        .iter()
                        .map(|c| (c, "text", template!("erase_copies_text"))),
                );
            for (c, want, sql) in columns {
                let ty = type_of(&types, &place.table, c)?;
                if ty != want {
                    return Err(Error::Schema(format!(
                        "erase_copies_in {}: column {c} is {ty}, not {want}",
                        place.table
                    )));
                }
                let column = column_ident(c)?;
                out.push(render(
                    sql,
                    &[("table", table.as_str()), ("column", column.as_str())],
                )?);
            }
        }
        Ok(out)
    }
}
