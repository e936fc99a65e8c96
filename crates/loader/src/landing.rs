//! A day's landing directory, checked for completeness before anything is loaded.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use retention_model::{
    Manifest,
    landing::{EVENTS_FILE, FileEntry, MANIFEST_FILE, day_dir, snapshot_dir},
};

use crate::{
    Error, Result,
    clip::clip,
    source::{EVENTS_FILES, events_file_in, missing_events},
    spec::{TABLES, TableSpec},
};

/// The largest `_manifest.json` read: a real one is about a kilobyte.
pub const MAX_MANIFEST_BYTES: u64 = 1 << 20;

/// A complete landing day (or snapshot): its directory and manifest, with every file the
/// manifest lists present. Open it with [`LandingDay::open`] (or, for a producer that writes
/// no manifest, [`LandingDay::open_without_manifest`]), load it with [`crate::Loader::load`].
#[derive(Debug, Clone)]
pub struct LandingDay {
    dir: PathBuf,
    date: NaiveDate,
    snapshot: bool,
    /// `None` when opened without a manifest: the loader counts and hashes the files itself.
    manifest: Option<Manifest>,
    /// The day's events file (one of [`EVENTS_FILES`]); `None` for a snapshot without one.
    events: Option<&'static str>,
}

impl LandingDay {
    /// Opens day `date` under `data_dir` (`dt=YYYY-MM-DD`), or with `snapshot` the full
    /// snapshot as of the end of `date` (`snapshots/dt=YYYY-MM-DD`), loaded as batch `date`.
    ///
    /// Refuses a day without `_manifest.json` (not complete), a manifest for another day or
    /// of the wrong kind, and a manifest that lists a missing file. A regular day must list
    /// all three files; a snapshot may leave out the events. The events file is whichever
    /// of [`EVENTS_FILES`] the day has: exactly one may be there, and it is the one the
    /// manifest must list.
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
        if !manifest_path.exists() && dir.is_dir() {
            return Err(Error::NoManifest { dir, date });
        }
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
        for spec in TABLES.iter().filter(|t| t.file != EVENTS_FILE) {
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
        let listed: Vec<&'static str> = EVENTS_FILES
            .into_iter()
            .filter(|f| manifest.files.contains_key(*f))
            .collect();
        let present = events_file_in(&dir)?;
        let events = match (&listed[..], present) {
            ([], _) if snapshot => None,
            ([], _) => {
                return Err(bad(format!(
                    "the manifest lists no events file ({})",
                    EVENTS_FILES.join(", ")
                )));
            }
            ([one], Some(found)) if *one == found => Some(found),
            ([one], None) => {
                return Err(Error::MissingFile {
                    path: dir.join(one),
                });
            }
            ([one], Some(found)) => {
                return Err(bad(format!(
                    "the manifest lists {one}, but the day's events file is {found}"
                )));
            }
            (many, _) => {
                return Err(bad(format!(
                    "the manifest lists several events files ({}); a day has exactly one",
                    many.join(", ")
                )));
            }
        };
        Ok(Self {
            dir,
            date,
            snapshot,
            manifest: Some(manifest),
            events,
        })
    }

    /// Opens day `date` (or with `snapshot` the snapshot as of its end) of a producer that
    /// writes no manifest: the load counts each file's records and hashes its bytes itself,
    /// checks nothing against a manifest, and records that it did (`ops.load_audit.checked_against
    /// = 'loader'`). A manifest, if there is one, is ignored.
    ///
    /// A regular day must have all three files (the events in any of the forms of
    /// [`EVENTS_FILES`], exactly one); a snapshot may leave out the events.
    pub fn open_without_manifest(data_dir: &Path, date: NaiveDate, snapshot: bool) -> Result<Self> {
        let dir = if snapshot {
            snapshot_dir(data_dir, date)
        } else {
            day_dir(data_dir, date)
        };
        Self::open_dir_without_manifest(dir, date, snapshot)
    }

    /// As [`LandingDay::open_without_manifest`], for a directory given directly.
    pub fn open_dir_without_manifest(
        dir: PathBuf,
        date: NaiveDate,
        snapshot: bool,
    ) -> Result<Self> {
        if !dir.is_dir() {
            return Err(Error::Io {
                context: format!("opening the landing directory {}", dir.display()),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            });
        }
        for spec in TABLES.iter().filter(|t| t.file != EVENTS_FILE) {
            let path = dir.join(spec.file);
            if !path.is_file() {
                return Err(Error::MissingFile { path });
            }
        }
        let events = events_file_in(&dir)?;
        if events.is_none() && !snapshot {
            return Err(missing_events(&dir));
        }
        Ok(Self {
            dir,
            date,
            snapshot,
            manifest: None,
            events,
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

    /// The day's manifest; `None` when opened without one.
    pub fn manifest(&self) -> Option<&Manifest> {
        self.manifest.as_ref()
    }

    /// Whether this is a full snapshot.
    pub fn is_snapshot(&self) -> bool {
        self.snapshot
    }

    /// The day's events file as on disk: `events.csv`, `events.csv.gz`, `events.jsonl` or
    /// `events.jsonl.gz`; `None` for a snapshot without one.
    pub fn events_file(&self) -> Option<&'static str> {
        self.events
    }

    /// The path of `spec`'s file, if the day has one, with its manifest entry when the day
    /// was opened with a manifest, and its name as on disk.
    pub(crate) fn file(
        &self,
        spec: &TableSpec,
    ) -> Option<(Option<&FileEntry>, PathBuf, &'static str)> {
        let name = if spec.file == EVENTS_FILE {
            self.events?
        } else {
            spec.file
        };
        let path = self.dir.join(name);
        match &self.manifest {
            Some(m) => m.files.get(name).map(|e| (Some(e), path, name)),
            None => path.is_file().then_some((None, path, name)),
        }
    }
}
