//! The dimensional model of the retention warehouse, and the plumbing every step shares.
//!
//! - [`landing`]: the landing-file contract between generator and loader ([`Manifest`],
//!   headers, file names).
//! - [`RejectReason`]: the one list of reason codes a refused row is quarantined under, checked
//!   against the transform's SQL; [`DIMENSION_MERGE`]: those the dimension merge writes.
//! - [`EventType`] and [`Money`]: the domain values with their exact rules (event type
//!   normalisation, `numeric(12,2)` money as integer cents with a binary `NUMERIC` codec).
//! - [`DbConfig`]: where the database is (`--database-url`, `DATABASE_URL`, libpq `PG*`),
//!   with TLS when the URL asks for it and one clear line when a connection fails.
//! - [`migrate`]: applies `crates/model/migrations/` in order under an advisory lock, recording each in
//!   `ops.schema_migrations` and refusing a migration whose file changed.
//! - [`access`]: the roles `init` grants: one per writing step (loader, validator,
//!   transformer) with only what its step needs, and the read-only BI role.
//! - [`ops`]: the run log (`ops.task_runs`) and the per-(step, day) advisory locks.
//! - [`marts`]: the marts as the warehouse declares them (each registers itself in its
//!   migration; nothing in the code lists them).
//! - [`transform`]: the transform step (conformance into facts, weekly summary, the marts'
//!   incremental refresh, table stats).
//!
//! ```no_run
//! # async fn demo() -> retention_model::Result<()> {
//! let config = retention_model::DbConfig::resolve(None)?;
//! let mut client = config.connect().await?;
//! let report = retention_model::migrate(&mut client).await?;
//! println!("{} migrations applied", report.applied.len());
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod access;
mod db;
mod error;
mod event;
pub mod landing;
pub mod marts;
mod migrate;
mod money;
pub mod ops;
mod reason;
mod tls;
pub mod transform;

pub use db::DbConfig;
pub use error::{Error, Result};
pub use event::EventType;
pub use landing::Manifest;
pub use migrate::{
    AppliedMigration, CalendarRange, MIGRATIONS, Migration, MigrationReport, migrate, migrate_with,
    prepare_calendar,
};
pub use money::{Money, MoneyError};
pub use reason::{DIMENSION_MERGE, RejectReason, Stage, codes_in_sql};
pub use tls::SslMode;

/// Version of the landing-file and warehouse contract; bumped when either changes shape.
pub const SCHEMA_VERSION: u32 = 1;
