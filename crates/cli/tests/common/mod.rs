//! Running the `retention` binary as a user would, for the CLI's integration tests.
#![allow(dead_code)] // each test file uses part of it

use std::process::{Command, Output};

/// Runs `retention` with `args`, free of the caller's pipeline environment (database, data
/// directory, seed, scale) and without colours.
pub fn retention(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_retention"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("RETENTION_DATA_DIR")
        .env_remove("RETENTION_SEED")
        .env_remove("RETENTION_SCALE")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// The JSON line every command ends with on stdout.
pub fn last_json_line(out: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("last stdout line is not JSON ({e}): {stdout}"))
}

/// Everything the command wrote to stderr.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
