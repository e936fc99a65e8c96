//! `retention-pgsql`: the things about PostgreSQL that every crate of the pipeline needs
//! and none should write its own copy of. It has no dependencies, so that a library crate
//! can use it and still stand alone.
//!
//! - **Identifiers** ([`ident`]). A name spliced into SQL is either one the catalogue gave
//!   us, quoted as it is ([`quote_ident`], [`quote_qualified`]), or one a user wrote in
//!   configuration, which must be a *plain* name — lower-case ASCII letters, digits and
//!   `_`, not starting with a digit, at most [`MAX_IDENT_BYTES`] bytes — before it is quoted
//!   ([`quote_plain`], [`quote_plain_qualified`]). Plain names mean the same quoted or not,
//!   so a configuration never depends on quoting rules, and nothing a user writes can end
//!   a quoted name early. Names PostgreSQL keeps for itself (`pg_…`) are told by
//!   [`is_reserved`].
//! - **Advisory locks** ([`lock`]). [`advisory_lock_key`] turns the parts naming what is
//!   locked (`["retention", "load", "2026-01-02"]`) into the `bigint` key of
//!   `pg_advisory_lock`: the first 8 bytes, big-endian, of the SHA-256 of the parts joined
//!   by `:`. The keys are part of a running warehouse's behaviour (two processes serialise
//!   only if they compute the same key), so this derivation must never change.
//! - **SQL templates** ([`template`]). [`render_template`] fills `{name}` placeholders with
//!   checked, quoted names in one pass.
//!
//! ```
//! use retention_pgsql::{advisory_lock_key, quote_ident, quote_plain_qualified};
//! assert_eq!(quote_ident(r#"odd "name""#), r#""odd ""name""""#);
//! assert_eq!(quote_plain_qualified("dw.dim_user").unwrap(), r#""dw"."dim_user""#);
//! assert!(quote_plain_qualified("dw.Dim_User").is_err());
//! assert_eq!(advisory_lock_key(&["retention-scd", "dw.dim_user"]), -3415732130268202402);
//! ```
#![deny(missing_docs)]

pub mod ident;
pub mod lock;
mod sha256;
pub mod template;

pub use ident::{
    IdentError, MAX_IDENT_BYTES, is_plain, is_reserved, quote_ident, quote_plain,
    quote_plain_qualified, quote_qualified,
};
pub use lock::advisory_lock_key;
pub use template::{TemplateError, render_template};
