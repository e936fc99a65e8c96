//! `_manifest.json` for files another producer wrote: each file's records counted as a load
//! counts them and its bytes hashed, with no generator fields.

use std::{collections::BTreeMap, fs::File, path::Path};

use chrono::NaiveDate;
use retention_model::{
    Manifest,
    landing::{FileEntry, MANIFEST_FILE},
};

use crate::{Error, LoadOptions, Result, parse_file, spec::TABLES};

/// The manifest of the regular day `date` whose files are in `dir`: per file, the records a
/// load would read (header excluded, rejected records included) and the SHA-256 of its
/// bytes. Every file of the contract must be there with the right header; nothing is
/// written.
pub fn describe_day(dir: &Path, date: NaiveDate) -> Result<Manifest> {
    let options = LoadOptions::default();
    let mut files = BTreeMap::new();
    for spec in &TABLES {
        let path = dir.join(spec.file);
        let file = File::open(&path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => Error::MissingFile { path: path.clone() },
            _ => Error::Io {
                context: format!("reading {}", path.display()),
                source,
            },
        })?;
        let parsed = parse_file(file, spec.file, date, &options)?;
        files.insert(
            spec.file.to_owned(),
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
