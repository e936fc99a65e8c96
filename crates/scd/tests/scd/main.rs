//! One test binary for the crate (one link step): the pure core, the executor against
//! PostgreSQL, and property tests of both against a reference model.

// Test helpers panic on setup failures, like the tests themselves (see clippy.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod copies;
mod core_props;
mod db;
mod db_props;
mod model;
mod pg;
mod project;
mod slices;
mod snapshot;
mod snapshot_props;
