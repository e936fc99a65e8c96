//! A day's landing directory, checked for completeness before anything is loaded.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use retention_model::{
    Manifest,
    landing::{FileEntry, MANIFEST_FILE, day_dir, snapshot_dir},
};

use crate::{
    Error, Result,
    clip::clip,
    spec::{TABLES, TableSpec},
};

/// The largest `_manifest.json` read: a real one is about a kilobyte.
pub const MAX_MANIFEST_BYTES: u64 = 1 << 20;

/// A complete landing day (or snapshot): its directory and manifest, with every file the
/// manifest lists present. Open it with [`LandingDay::open`], load it with
/// [`crate::Loader::load`].
#[derive(Debug, Clone)]
pub struct LandingDay {
    dir: PathBuf,
    date: NaiveDate,
    manifest: Manifest,
}

impl LandingDay {
    /// Opens day `date` under `data_dir` (`dt=YYYY-MM-DD`), or with `snapshot` the full
    /// snapshot as of the end of `date` (`snapshots/dt=YYYY-MM-DD`), loaded as batch `date`.
    ///
    /// Refuses a day without `_manifest.json` (not complete), a manifest for another day or
    /// of the wrong kind, and a manifest that lists a missing file. A regular day must list
    /// all three files; a snapshot may leave out `events.csv`.
    pub fn open(data_dir: &Path, date: NaiveDate, snapshot: bool) -> Result<Self> {
        let dir = if snapshot {
            snapshot_dir(data_dir, date)
        } else {
            day_dir(data_dir, date)
        };
        Self::open_dir(dir, date, snapshot)
    }

    /// As [`LandingDay::open`], for a directory given directly.
    ///
    /// A manifest over [`MAX_MANIFEST_BYTES`] is refused unread, and a manifest that does not
    /// parse is reported with the parser's message clipped (it may quote the file).
    pub fn open_dir(dir: PathBuf, date: NaiveDate, snapshot: bool) -> Result<Self> {
        let bad = |reason: String| Error::BadManifest {
            dir: dir.clone(),
            reason,
        };
        let manifest_path = dir.join(MANIFEST_FILE);
        if let Ok(meta) = std::fs::metadata(&manifest_path) {
            if meta.len() > MAX_MANIFEST_BYTES {
                return Err(bad(format!(
                    "{MANIFEST_FILE} is {} bytes, more than the limit of {MAX_MANIFEST_BYTES}",
                    meta.len()
                )));
            }
        }
        let manifest = Manifest::read(&dir).map_err(|e| match e {
            retention_model::Error::Manifest { path, reason } => {
                Error::Model(retention_model::Error::Manifest {
                    path,
                    reason: clip(&reason).to_string(),
                })
            }
            other => Error::Model(other),
        })?;
        if manifest.snapshot != snapshot {
            return Err(bad(if snapshot {
                "the manifest is not a snapshot's".into()
            } else {
                "the manifest is a snapshot's: load it with --snapshot".into()
            }));
        }
        if !snapshot && manifest.date != date {
            return Err(bad(format!(
                "the manifest is for {}, not {date}",
                manifest.date
            )));
        }
        for spec in &TABLES {
            match manifest.files.get(spec.file) {
                Some(_) => {
                    let path = dir.join(spec.file);
                    if !path.is_file() {
                        return Err(Error::MissingFile { path });
                    }
                }
                None if snapshot => {}
                None => {
                    return Err(bad(format!("the manifest does not list {}", spec.file)));
                }
            }
        }
        Ok(Self {
            dir,
            date,
            manifest,
        })
    }

    /// The batch date the day loads as.
    pub fn date(&self) -> NaiveDate {
        self.date
    }

    /// The directory holding the files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The day's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Whether this is a full snapshot.
    pub fn is_snapshot(&self) -> bool {
        self.manifest.snapshot
    }

    /// The manifest entry and path of `spec`'s file, if the day has one.
    pub(crate) fn file(&self, spec: &TableSpec) -> Option<(&FileEntry, PathBuf)> {
        self.manifest
            .files
            .get(spec.file)
            .map(|e| (e, self.dir.join(spec.file)))
    }
}
