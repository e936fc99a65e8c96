//! Loads a day's landing files into `staging`, fast, and accounts for every row.
//!
//! - [`LandingDay`]: a complete landing day (or snapshot): its directory and manifest, every
//!   listed file present. A day without `_manifest.json` is not complete and is refused,
//!   unless opened with [`LandingDay::open_without_manifest`] for a producer that writes
//!   none: then the load counts and hashes the files itself and records that it did. The
//!   manifest's generator fields (seed, scale, config hash) are checked against the
//!   warehouse only when present.
//! - [`write_manifest`] / [`describe_day`]: the manifest of files another producer wrote
//!   (records counted as a load counts them, SHA-256 of the bytes, no generator fields).
//! - [`Loader`] / [`load_day`]: one transaction per day. Each file is parsed on a blocking
//!   thread (lenient, exact CSV: BOM, CRLF, quoted commas and newlines, blanks around
//!   quoted fields) and typed straight into PGCOPY binary chunks streamed to `COPY` into a
//!   new partition `staging.<table>_YYYYMMDD`. A record that cannot be typed goes to
//!   `quarantine.rejected_rows` with its file, start line, exact bytes, a reason code and a
//!   detail; the load goes on. Each file's SHA-256 and record count must match the
//!   manifest, and read = staged + rejected must hold, before the old partitions are
//!   dropped, the new ones attached and the transaction committed. A failed or killed load
//!   changes nothing.
//! - The events may also come as `events.csv.gz`, `events.jsonl` or `events.jsonl.gz`
//!   ([`EVENTS_FILES`]; exactly one per day). A JSON Lines object is mapped onto the
//!   contract's columns by a [`Mapping`] ([`LoadOptions::mapping`]): the contract's own
//!   column names by default, or a preset (`segment`, `ga4`) with overrides, built from a
//!   [`MappingSpec`] as `config/retention.yaml` writes it; see [`mapping`].
//! - [`LoadOptions`], [`LoadReport`] / [`FileReport`]: behaviour and per-file figures.
//! - [`Erasure`] ([`LoadOptions::erasure`]): the places an erased user's personal data is
//!   erased in, as `retention-scd` describes them (`config/dimensions.yaml`'s
//!   `bookkeeping.erasures`, `erase_in`). The load renders the statements of the places it
//!   writes from it (one template, `sql/erase_place.sql`): the new `staging` partitions and
//!   its rejects in `quarantine`; see [`erasure`].
//! - [`parse_file`]: the same parsing and typing without a database ([`ParsedFile`],
//!   [`RejectedRecord`]), to check a file before loading it.
//!
//! Reason codes ([`retention_model::RejectReason`]'s load stage): `bad_field_count`, `bad_timestamp` (timestamps and dates), `bad_number`
//! (integers, and money with more than two decimals or beyond `numeric(12,2)`),
//! `bad_boolean`, `invalid_utf8`, `nul_byte`, `field_too_large`, `record_too_large` (a
//! record over [`LoadOptions::max_record_bytes`]: its `raw` keeps only that many first bytes,
//! and its detail gives the whole length and SHA-256), `bad_quoting`, `unterminated_quote`,
//! and for JSON Lines `bad_json` (not one JSON object) and `anonymous_user` (an anonymous id
//! and no user id).
//! Empty values load as NULL; conformance judges them later. A leap second (`23:59:60`) is a
//! `bad_timestamp`: it would roll over into the next minute, maybe the next day.
//!
//! Errors and details never echo a value whole: anything longer than a few hundred bytes is
//! cut and shown with its length and SHA-256.
//!
//! ```no_run
//! # async fn demo() -> retention_loader::Result<()> {
//! use retention_loader::{LandingDay, LoadOptions, load_day};
//! let db = retention_model::DbConfig::resolve(None)?;
//! let date = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default();
//! let day = LandingDay::open(std::path::Path::new("data"), date, false)?;
//! let report = load_day(&db, &day, &LoadOptions::default()).await?;
//! println!("{} read, {} staged, {} rejected", report.read(), report.staged(), report.rejected());
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod clip;
mod csv;
pub mod erasure;
mod error;
mod jsonl;
mod landing;
mod load;
mod manifest;
pub mod mapping;
mod parse;
mod pool;
mod report;
mod source;
mod spec;
mod typed;
mod warehouse;

pub use erasure::Erasure;
pub use error::{Error, Result};
pub use landing::{LandingDay, MAX_MANIFEST_BYTES};
pub use load::{LoadOptions, Loader, load_day};
pub use manifest::{describe_day, write_manifest};
pub use mapping::{Mapping, MappingSpec};
pub use parse::{ParsedFile, RejectedRecord, parse_file};
pub use report::{FileReport, LoadReport};
pub use source::EVENTS_FILES;
