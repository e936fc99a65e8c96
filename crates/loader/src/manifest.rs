//! `_manifest.json` for files another producer wrote: each file's records counted as a load
//! counts them and its bytes hashed, with no generator fields.

use std::{collections::BTreeMap, fs::File, path::Path};

use chrono::NaiveDate;
use retention_model::{
    Manifest,
    landing::{EVENTS_FILE, FileEntry, MANIFEST_FILE},
};

use crate::{
    Error, LoadOptions, Result, parse_file,
    source::{events_file_in, missing_events},
    spec::TABLES,
};

/// The manifest of the regular day `date` whose files are in `dir`: per file, the records a
/// load would read (header excluded, rejected records included) and the SHA-256 of its
/// bytes as on disk (compressed bytes for a `.gz`). Every file of the contract must be there
/// with the right header, the events in exactly one of the forms of
/// [`EVENTS_FILES`](crate::EVENTS_FILES) (a JSON Lines record is a non-blank line, whatever
/// it holds); nothing is written.
pub fn describe_day(dir: &Path, date: NaiveDate) -> Result<Manifest> {
    let options = LoadOptions::default();
    let mut files = BTreeMap::new();
    for spec in &TABLES {
        let name = if spec.file == EVENTS_FILE {
            events_file_in(dir)?.ok_or_else(|| missing_events(dir))?
        } else {
            spec.file
        };
        let path = dir.join(name);
        let file = File::open(&path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => Error::MissingFile { path: path.clone() },
            _ => Error::Io {
                context: format!("reading {}", path.display()),
                source,
            },
        })?;
        let parsed = parse_file(file, name, date, &options)?;
        files.insert(
            name.to_owned(),
            FileEntry {
                rows: parsed.read,
                sha256: parsed.sha256,
            },
        );
    }
    Ok(Manifest::for_files(date, files))
}

/// Writes `dir/_manifest.json` for the regular day `date` ([`describe_day`]), atomically.
/// Refuses to replace an existing manifest unless `overwrite`.
pub fn write_manifest(dir: &Path, date: NaiveDate, overwrite: bool) -> Result<Manifest> {
    let path = dir.join(MANIFEST_FILE);
    if !overwrite && path.exists() {
        return Err(Error::ManifestExists { path });
    }
    let manifest = describe_day(dir, date)?;
    manifest.write_atomic(dir)?;
    Ok(manifest)
}
