//! SQL identifiers: quoting a name as it is, and checking that a name from configuration is
//! plain before quoting it.

use std::fmt;

/// The longest identifier PostgreSQL keeps, in bytes (`NAMEDATALEN - 1`); a longer one is
/// silently truncated by the server, so two different configured names could meet.
pub const MAX_IDENT_BYTES: usize = 63;

/// Why a name from configuration cannot be used as an identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdentError {
    /// The name is not plain (see [`is_plain`]).
    NotPlain {
        /// The name as given.
        name: String,
    },
    /// A table name is not written `schema.table`.
    NotQualified {
        /// The name as given.
        name: String,
    },
}

impl fmt::Display for IdentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotPlain { name } => {
                write!(f, "{name:?} is not a plain lower-case SQL identifier")
            }
            Self::NotQualified { name } => {
                write!(f, "table {name:?} must be written schema.table")
            }
        }
    }
}

impl std::error::Error for IdentError {}

/// Whether `name` is a plain identifier: 1 to [`MAX_IDENT_BYTES`] bytes of lower-case
/// ASCII letters, digits and `_`, not starting with a digit. Such a name means the same
/// quoted or unquoted, and can be quoted without escaping.
pub fn is_plain(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_IDENT_BYTES
        && !bytes[0].is_ascii_digit()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
}

/// Whether `name` starts with `pg_`, which PostgreSQL reserves for its own roles and schemas
/// (`CREATE ROLE pg_x` is refused). A plain name may still be reserved.
pub fn is_reserved(name: &str) -> bool {
    name.starts_with("pg_")
}

/// `name` double-quoted, any `"` in it doubled: the identifier PostgreSQL reads as exactly
/// `name`. For names the catalogue gave; a name a user wrote goes through [`quote_plain`].
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `schema.name`, each part quoted by [`quote_ident`].
pub fn quote_qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

/// `name` double-quoted if it is plain ([`is_plain`]), else [`IdentError::NotPlain`].
pub fn quote_plain(name: &str) -> Result<String, IdentError> {
    if is_plain(name) {
        Ok(quote_ident(name))
    } else {
        Err(IdentError::NotPlain {
            name: name.to_owned(),
        })
    }
}

/// `schema.table` (split at the first `.`) with both parts plain and quoted:
/// [`IdentError::NotQualified`] without a `.`, [`IdentError::NotPlain`] naming the first
/// part that is not plain (so `a.b.c` is refused for its table part `b.c`).
pub fn quote_plain_qualified(name: &str) -> Result<String, IdentError> {
    match name.split_once('.') {
        Some((schema, table)) => Ok(format!("{}.{}", quote_plain(schema)?, quote_plain(table)?)),
        None => Err(IdentError::NotQualified {
            name: name.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_ident_doubles_quotes_and_keeps_everything_else() {
        assert_eq!(quote_ident("events"), "\"events\"");
        assert_eq!(quote_ident("Mixed Case"), "\"Mixed Case\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident(""), "\"\"");
        assert_eq!(quote_qualified("staging", "a\"b"), "\"staging\".\"a\"\"b\"");
    }

    #[test]
    fn plain_names_are_lower_case_ascii_and_not_too_long() {
        for ok in ["a", "_x", "dim_user", "col2", &"x".repeat(63)] {
            assert!(is_plain(ok), "{ok}");
            assert_eq!(quote_plain(ok).unwrap(), format!("\"{ok}\""));
        }
        for bad in [
            "",
            "2col",
            "Dim",
            "a b",
            "a\"b",
            "a;drop",
            "a.b",
            "é",
            "a-b",
            &"x".repeat(64),
        ] {
            assert!(!is_plain(bad), "{bad:?}");
            assert_eq!(
                quote_plain(bad).unwrap_err().to_string(),
                format!("{bad:?} is not a plain lower-case SQL identifier")
            );
        }
    }

    #[test]
    fn qualified_names_need_a_schema_and_two_plain_parts() {
        assert_eq!(
            quote_plain_qualified("dw.dim_user").unwrap(),
            "\"dw\".\"dim_user\""
        );
        assert_eq!(
            quote_plain_qualified("dim_user").unwrap_err(),
            IdentError::NotQualified {
                name: "dim_user".into()
            }
        );
        assert_eq!(
            quote_plain_qualified("dim_user").unwrap_err().to_string(),
            "table \"dim_user\" must be written schema.table"
        );
        for (bad, part) in [("dw.Dim", "Dim"), ("dw.", ""), (".t", ""), ("a.b.c", "b.c")] {
            assert_eq!(
                quote_plain_qualified(bad).unwrap_err(),
                IdentError::NotPlain { name: part.into() },
                "{bad}"
            );
        }
    }

    #[test]
    fn pg_names_are_reserved_but_may_be_plain() {
        assert!(is_reserved("pg_read_all_data") && is_plain("pg_read_all_data"));
        assert!(!is_reserved("retention_bi") && !is_reserved("pgx"));
    }
}
