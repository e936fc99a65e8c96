//! What the catalogue says about a table: the columns that exist and how their values
//! compare. Every identifier a suite names is checked against this before it is quoted into
//! SQL (as the catalogue spells it, by `retention_pgsql::quote_ident`).

use tokio_postgres::Client;

use crate::{
    error::{Error, Result},
    suite::TableRef,
};

/// How values of a column are compared with bound literals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// smallint, integer, bigint.
    Integer,
    /// numeric.
    Numeric,
    /// real, double precision.
    Float,
    /// text, varchar, char, name.
    Text,
    /// date.
    Date,
    /// timestamp with time zone.
    Timestamptz,
    /// timestamp without time zone.
    Timestamp,
    /// boolean.
    Bool,
    /// Anything else: compared as text where a comparison is needed, no ranges.
    Other,
}

impl ColumnKind {
    /// Maps a `pg_type.typname`.
    pub fn from_type_name(name: &str) -> Self {
        match name {
            "int2" | "int4" | "int8" => Self::Integer,
            "numeric" => Self::Numeric,
            "float4" | "float8" => Self::Float,
            "text" | "varchar" | "bpchar" | "name" | "citext" => Self::Text,
            "date" => Self::Date,
            "timestamptz" => Self::Timestamptz,
            "timestamp" => Self::Timestamp,
            "bool" => Self::Bool,
            _ => Self::Other,
        }
    }
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Its name, exactly as in the catalogue.
    pub name: String,
    /// How it compares.
    pub kind: ColumnKind,
    /// Its declared type, for messages (`numeric(12,2)`).
    pub declared_type: String,
}

/// A table and its columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSchema {
    /// The table.
    pub table: TableRef,
    /// Its columns in order.
    pub columns: Vec<Column>,
}

impl TableSchema {
    /// Reads the table's columns from the catalogue; `None` when there is no such table.
    pub async fn fetch(client: &Client, table: &TableRef) -> Result<Option<Self>> {
        let rows = client
            .query(
                include_str!("../sql/table_columns.sql"),
                &[&table.schema, &table.name],
            )
            .await
            .map_err(Error::db(format!(
                "reading the columns of {}",
                crate::clip::clip(&table.to_string())
            )))?;
        if rows.is_empty() {
            return Ok(None);
        }
        let columns = rows
            .iter()
            .map(|r| Column {
                name: r.get(0),
                kind: ColumnKind::from_type_name(r.get(1)),
                declared_type: r.get(2),
            })
            .collect();
        Ok(Some(Self {
            table: table.clone(),
            columns,
        }))
    }

    /// The column called exactly `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}
