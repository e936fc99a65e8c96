//! `retention-quality`: an expectation engine for PostgreSQL tables that speaks Great
//! Expectations 1.x and scans each batch once.
//!
//! - [`Suite`] — a table, an optional batch filter and [`Expectation`]s named and
//!   parameterised as in GE 1.x (`type` + `kwargs`, `mostly`, a [`Severity`]). Read from our
//!   YAML or from GE suite JSON ([`Suite::from_path`], [`Suite::load_all`]).
//! - [`compile`] — the pure core: a suite plus the table's [`TableSchema`] become a
//!   [`CompiledSuite`]: one scan with `count(*) FILTER (WHERE …)` per row-level expectation,
//!   one `GROUP BY` per uniqueness check, sample and per-expectation queries. Names are
//!   checked against the catalogue and quoted; values are bound parameters.
//! - [`validate`] — runs the suites on a [`Batch`] with a [`Strategy`] and returns a
//!   [`ValidationReport`] ([`success`](ValidationReport::success),
//!   [`critical_failures`](ValidationReport::critical_failures),
//!   [`to_ge_json`](ValidationReport::to_ge_json)).
//! - [`store_results`] — one row per expectation into a results table.
//!
//! Semantics follow GE 1.x: nulls are never unexpected (except for not-null) and are left out
//! of the denominator; `mostly` is inclusive; uniqueness counts every member of a duplicated
//! group; an empty batch passes; the row-count expectation reports only `observed_value`.
//!
//! A suite in YAML (bounds may be relative to the batch date):
//!
//! ```yaml
//! name: staging_events
//! table: staging.events
//! batch: {column: batch_date}
//! expectations:
//!   - type: expect_column_values_to_not_be_null
//!     kwargs: {column: user_id, mostly: 0.95}
//!   - type: expect_column_values_to_be_between
//!     kwargs: {column: event_ts, min_value: "batch_date - 7 days", max_value: "batch_date + 1 day"}
//!     severity: warning
//! ```
//!
//! ```no_run
//! # async fn example(client: &tokio_postgres::Client) -> retention_quality::Result<()> {
//! use retention_quality::{Batch, Strategy, Suite, store_results, validate};
//! let suites = Suite::load_all(&["config/expectations".into()])?;
//! let batch = Batch { date: "2026-01-02".parse().unwrap() };
//! let report = validate(client, &suites, &batch, Strategy::SetBased).await?;
//! store_results(client, "ops.validation_results", None, &report).await?;
//! for failure in report.critical_failures() {
//!     eprintln!("{}", failure.summary());
//! }
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod compile;
mod error;
mod exec;
mod expr;
mod report;
mod schema;
mod store;
mod suite;

pub use compile::{CompiledSuite, PARTIAL_UNEXPECTED_COUNT, Param, Query, Slot, compile};
pub use error::{Error, Result};
pub use exec::{prepare, validate};
pub use expr::DateExpr;
pub use report::{Batch, ExpectationResult, Observed, Strategy, SuiteReport, ValidationReport};
pub use schema::{Column, ColumnKind, TableSchema};
pub use store::store_results;
pub use suite::{BatchFilter, Bound, Check, Expectation, Severity, Suite, TableRef};
