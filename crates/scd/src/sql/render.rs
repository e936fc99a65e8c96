//! Filling an SQL template: `{name}` placeholders replaced by quoted identifiers and
//! fragments built from them, in one pass.

use crate::{Error, Result};

/// Replaces each `{name}` of `template` with its value, in one pass (values are not scanned).
pub(super) fn render(template: &str, vars: &[(&str, &str)]) -> Result<String> {
    retention_pgsql::render_template(template, vars).map_err(|e| Error::Config(e.to_string()))
}

pub(super) fn with<'a>(
    base: &[(&'a str, &'a str)],
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    base.iter().chain(extra).copied().collect()
}

/// A string literal for a validated identifier (plain names only: no quote to escape).
pub(super) fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub(super) fn list(cols: &[String], f: impl Fn(&str) -> String, sep: &str) -> String {
    cols.iter().map(|c| f(c)).collect::<Vec<_>>().join(sep)
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn render_fills_placeholders_once_and_refuses_unknown_ones() {
        let out = render("SELECT {a} FROM {b}", &[("a", "'{b}'"), ("b", "t")]).unwrap();
        assert_eq!(out, "SELECT '{b}' FROM t");
        let err = render("SELECT {c}", &[]).unwrap_err().to_string();
        assert_eq!(err, "configuration: SQL template needs {c}");
    }
}
