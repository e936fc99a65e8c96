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
//! - [`validate`] / [`validate_with`] — check that every suite reads only allowed schemas
//!   ([`ValidationOptions::schemas`], default `staging`) and has expectations (an empty
//!   suite must say `allow_empty: true`), then run the suites on a [`Batch`] in one read-only
//!   transaction with a statement timeout ([`ValidationOptions::statement_timeout`], default
//!   five minutes) and a [`Strategy`]; they return a
//!   [`ValidationReport`] ([`success`](ValidationReport::success),
//!   [`critical_failures`](ValidationReport::critical_failures),
//!   [`to_ge_json`](ValidationReport::to_ge_json)).
//! - [`store_results`] — one row per expectation into a results table.
//!
//! Semantics follow GE 1.x: nulls are never unexpected (except for not-null) and are left out
//! of the denominator; `mostly` is inclusive; uniqueness counts every member of a duplicated
//! group; an empty batch passes; the row-count expectation reports only `observed_value`.
//!
//! Supported expectation types (GE names and kwargs; `mostly` on all but the row counts),
//! registered once in [`EXPECTATION_TYPES`]:
//! `expect_column_values_to_not_be_null`, `expect_column_values_to_be_unique`,
//! `expect_compound_columns_to_be_unique` (`column_list`), `expect_column_values_to_be_in_set`
//! and `…_not_be_in_set` (`value_set`), `expect_column_values_to_be_between` (`min_value`,
//! `max_value`, `strict_min`, `strict_max`), `expect_column_values_to_match_regex` and
//! `…_not_match_regex` (`regex`, PostgreSQL syntax), `expect_table_row_count_to_be_between`
//! (`min_value`, `max_value`, `strict_min`, `strict_max`), `expect_table_row_count_to_equal`
//! (`value`), `expect_column_pair_values_a_to_be_greater_than_b`
//! (`column_A`, `column_B`, `or_equal`, `ignore_row_if`). Any other type or kwarg is an error.
//!
//! A suite file has `name`, `table` (`schema.table`), an optional `batch: {column: C}` (the
//! batch is the rows where `C` equals the batch date, bound as a parameter) and
//! `expectations`, each `{type, kwargs, severity, meta, id}`, and an optional
//! `allow_empty: true` for a suite meant to have no expectations. Date and timestamp bounds may be
//! relative to the batch date: `batch_date`, `batch_date + 1 day`, `batch_date - 36 hours`
//! (units minutes, hours, days, weeks), evaluated in Rust and bound; timestamps at UTC
//! midnight. GE suite JSON is the same document with the table under
//! `meta.retention.table` (and `meta.retention.batch`, `meta.retention.allow_empty`).
//!
//! Errors never echo a suite's or a table's values whole: anything longer than a few
//! hundred bytes is cut and shown with its length and SHA-256.
//!
//! **Personal data.** A suite declares the columns that hold personal data with
//! `personal_columns: [email, full_name]` (GE JSON: `meta.retention.personal_columns`; each
//! must exist in the table). An expectation reading one of them — alone or among the
//! columns of a pair or compound key — is counted as any other, but its unexpected values
//! are never selected: its `partial_unexpected_list` and `partial_unexpected_counts` are
//! empty, its result says `"redacted": "personal column"` ([`REDACTED`]), and its
//! [`summary`](ExpectationResult::summary) says the samples are withheld. So no personal
//! value reaches a results table, a log line or an error message.
//!
//! A suite in YAML:
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

mod clip;
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
pub use exec::{ValidationOptions, prepare, validate, validate_with};
pub use expr::DateExpr;
pub use report::{
    Batch, ExpectationResult, Observed, REDACTED, Strategy, SuiteReport, ValidationReport,
};
pub use schema::{Column, ColumnKind, TableSchema};
pub use store::store_results;
pub use suite::{
    BatchFilter, Bound, Check, Considered, EXPECTATION_TYPES, Expectation, ExpectationType,
    Samples, Severity, Suite, TableBinding, TableRef, expectation_type,
};
