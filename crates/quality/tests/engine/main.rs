//! Integration tests against a real PostgreSQL (see `retention-testing`), one binary.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers panic on setup failures

mod common;
mod crafted;
mod ge_parity;
mod privacy;
mod reliability;
mod safety;
mod suites;
