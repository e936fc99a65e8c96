//! A day's landing directory, checked for completeness before anything is loaded.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use retention_model::{
    Manifest,
    landing::{FileEntry, day_dir, snapshot_dir},
};

use crate::{
    Error, Result,
    spec::{TABLES, TableSpec},
};

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
    pub fn open_dir(dir: PathBuf, date: NaiveDate, snapshot: bool) -> Result<Self> {
        let manifest = Manifest::read(&dir)?;
        let bad = |reason: String| Error::BadManifest {
            dir: dir.clone(),
            reason,
        };
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
