//! The landing-file contract (docs/landing-files.md): for a logical day `D` the generator writes
//! `DATA_DIR/dt=D/` with `events.csv`, `users.csv`, `products.csv` and, last and atomically,
//! `_manifest.json`; the loader reads them back.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Clickstream file name.
pub const EVENTS_FILE: &str = "events.csv";
/// User change-feed file name.
pub const USERS_FILE: &str = "users.csv";
/// Product catalogue feed file name.
pub const PRODUCTS_FILE: &str = "products.csv";
/// The manifest, written last.
pub const MANIFEST_FILE: &str = "_manifest.json";

/// Header of `events.csv`, in order.
pub const EVENTS_HEADER: [&str; 12] = [
    "event_id",
    "event_ts",
    "user_id",
    "session_id",
    "event_type",
    "page_url",
    "product_id",
    "quantity",
    "unit_price",
    "order_id",
    "device",
    "country",
];
/// Header of `users.csv`, in order.
pub const USERS_HEADER: [&str; 11] = [
    "user_id",
    "email",
    "full_name",
    "country",
    "city",
    "device",
    "acquisition_channel",
    "plan",
    "signup_date",
    "updated_at",
    "is_deleted",
];
/// Header of `products.csv`, in order.
pub const PRODUCTS_HEADER: [&str; 8] = [
    "product_id",
    "sku",
    "name",
    "category",
    "brand",
    "unit_price",
    "is_active",
    "updated_at",
];

/// The directory of day `date` under `data_dir`: `data_dir/dt=YYYY-MM-DD`.
pub fn day_dir(data_dir: &Path, date: NaiveDate) -> PathBuf {
    data_dir.join(format!("dt={}", date.format("%Y-%m-%d")))
}

/// The directory of a full snapshot as of the END of day `as_of`:
/// `data_dir/snapshots/dt=YYYY-MM-DD`. `generate --snapshot --date D` writes the snapshot as of
/// `D - 1` here, so a warehouse can start on day `D`; its manifest has `snapshot: true`.
pub fn snapshot_dir(data_dir: &Path, as_of: NaiveDate) -> PathBuf {
    data_dir
        .join("snapshots")
        .join(format!("dt={}", as_of.format("%Y-%m-%d")))
}

/// One file's entry in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// CSV records, header excluded.
    pub rows: u64,
    /// SHA-256 of the file's exact bytes, lower-case hex.
    pub sha256: String,
}

/// `_manifest.json`: the day's files with their record counts and SHA-256, and, when the
/// generator wrote the day, what it was generated with and the exact count of every injected
/// anomaly keyed by the reason code it must end up under.
///
/// The generator fields (`generator_version`, `seed`, `scale`, `config_hash`, `mess`) are
/// optional: another producer's manifest (or one written by `retention manifest`) has none,
/// and the loader checks them against the warehouse only when they are present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Landing contract version ([`crate::SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Version of the generator that wrote the day; `None` for another producer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator_version: Option<String>,
    /// Simulation seed; `None` for another producer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Population scale; `None` for another producer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
    /// SHA-256 of the generator configuration that shaped the data; `None` for another
    /// producer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_hash: Option<String>,
    /// The logical day.
    pub date: NaiveDate,
    /// Per file name: rows and checksum.
    pub files: BTreeMap<String, FileEntry>,
    /// Injected anomalies by reason code (`duplicate_event`, `bad_timestamp`, …) plus the
    /// cleaned kinds (`event_type_variant`, `late_event`, `dirty_user_row`); empty for
    /// another producer.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mess: BTreeMap<String, u64>,
    /// True when this is a full snapshot as of the end of the previous day.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub snapshot: bool,
}

impl Manifest {
    /// Reads and parses `dir/_manifest.json`.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::Manifest {
            path: path.clone(),
            reason: if e.kind() == std::io::ErrorKind::NotFound {
                "no manifest: the day is not complete, or its producer writes none".to_owned()
            } else {
                e.to_string()
            },
        })?;
        serde_json::from_str(&text).map_err(|e| Error::Manifest {
            path,
            reason: format!("not a valid manifest: {e}"),
        })
    }

    /// Writes the manifest to `dir/_manifest.json` atomically (temporary file, then rename).
    pub fn write_atomic(&self, dir: &Path) -> Result<()> {
        let path = dir.join(MANIFEST_FILE);
        let tmp = dir.join(format!(".{MANIFEST_FILE}.tmp"));
        let mut text = serde_json::to_string_pretty(self).map_err(|e| Error::Manifest {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        text.push('\n');
        let io = |context: String| move |source| Error::Io { context, source };
        std::fs::write(&tmp, text).map_err(io(format!("writing {}", tmp.display())))?;
        std::fs::rename(&tmp, &path).map_err(io(format!("renaming {} into place", tmp.display())))
    }

    /// A manifest for files another producer wrote: the contract's version, the day and its
    /// files, no generator fields.
    pub fn for_files(date: NaiveDate, files: BTreeMap<String, FileEntry>) -> Self {
        Self {
            schema_version: crate::SCHEMA_VERSION,
            generator_version: None,
            seed: None,
            scale: None,
            config_hash: None,
            date,
            files,
            mess: BTreeMap::new(),
            snapshot: false,
        }
    }

    /// Whether the manifest carries any of the generator's fields (seed, scale, config hash,
    /// generator version): a simulated day, which the warehouse's identity guard checks.
    pub fn has_generator_fields(&self) -> bool {
        self.generator_version.is_some()
            || self.seed.is_some()
            || self.scale.is_some()
            || self.config_hash.is_some()
    }

    /// Count of one mess kind (0 when absent).
    pub fn mess_count(&self, kind: &str) -> u64 {
        self.mess.get(kind).copied().unwrap_or(0)
    }
}
