//! Integration tests of the generator: one test binary (one link step), modules by concern.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns panic by design

mod common;
mod config;
mod determinism;
mod feeds;
mod manifest;
mod realism;
mod sample;
