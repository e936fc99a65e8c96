//! Filling an SQL template: each `{name}` placeholder replaced by its value in one pass.
//!
//! Values are not scanned again, so a value holding braces (a JSON path such as `'{email}'`)
//! stays as it is. The values are identifiers already checked and quoted, or fragments built
//! from them: never user data, which is always a bound parameter.

use std::fmt;

/// Why a template could not be filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// A `{` without its `}`.
    Unclosed,
    /// A placeholder no value was given for.
    Missing(String),
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unclosed => f.write_str("unclosed placeholder in an SQL template"),
            Self::Missing(name) => write!(f, "SQL template needs {{{name}}}"),
        }
    }
}

impl std::error::Error for TemplateError {}

/// Replaces each `{name}` of `template` with its value from `vars`, in one pass.
///
/// ```
/// use retention_pgsql::{TemplateError, render_template};
/// let sql = render_template("SELECT {a} FROM {t}", &[("a", "'{t}'"), ("t", "x")]).unwrap();
/// assert_eq!(sql, "SELECT '{t}' FROM x");
/// assert_eq!(render_template("{b}", &[]), Err(TemplateError::Missing("b".into())));
/// ```
pub fn render_template(template: &str, vars: &[(&str, &str)]) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or(TemplateError::Unclosed)?;
        let name = &after[..close];
        let value = vars
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| TemplateError::Missing(name.to_owned()))?;
        out.push_str(value);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}
