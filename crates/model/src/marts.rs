//! The marts as the warehouse declares them. A mart registers itself in one place, its
//! migration: a view in schema `marts`, the `mart_state` tables behind it, and a
//! `mart_state.rebuild_<NN>_<part>()` function that recomputes them, which
//! `mart_state.rebuild()` finds by name (migration 0052). Nothing in the code lists the
//! marts: what needs the list reads it from the catalog with [`marts`]. See
//! `docs/add-a-mart.md`.

use tokio_postgres::GenericClient;

use crate::Result;

const CATALOG_SQL: &str = include_str!("../sql/marts/catalog.sql");

/// A mart: a view of schema `marts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mart {
    /// The view's name in schema `marts` (e.g. `engagement_daily`).
    pub name: String,
    /// The `mart_state` tables the view reads (sorted), kept by the transform.
    pub state: Vec<String>,
    /// The view's comment (`COMMENT ON VIEW`), empty when it has none.
    pub description: String,
}

impl Mart {
    /// The view's qualified name, `marts.<name>`.
    pub fn qualified(&self) -> String {
        format!("marts.{}", self.name)
    }
}

/// Every mart of the warehouse, by name, from the catalog (the warehouse must be migrated).
pub async fn marts(client: &impl GenericClient) -> Result<Vec<Mart>> {
    let rows = client.query(CATALOG_SQL, &[]).await?;
    Ok(rows
        .iter()
        .map(|r| Mart {
            name: r.get(0),
            state: r.get(1),
            description: r.get(2),
        })
        .collect())
}
