//! `config/retention.yaml`: where the generator settings and the expectation suites are, and
//! where `run`'s landing days come from.
//! Paths in it are relative to the file. A missing default file means built-in defaults;
//! a missing file given explicitly is an error.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::{Error, Source};

/// Where the configuration is looked for by default (relative to the working directory).
pub const DEFAULT_PATH: &str = "config/retention.yaml";

/// The pipeline configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    /// Generator settings file.
    #[serde(default = "default_generator")]
    pub generator: PathBuf,
    /// Expectation suite files or directories.
    #[serde(default = "default_suites")]
    pub expectations: Vec<PathBuf>,
    /// SCD dimension specs (dim_user, dim_product).
    #[serde(default = "default_dimensions")]
    pub dimensions: PathBuf,
    /// Simulation seed (overridden by --seed / RETENTION_SEED).
    #[serde(default)]
    pub seed: Option<u64>,
    /// Population scale (overridden by --scale / RETENTION_SCALE).
    #[serde(default)]
    pub scale: Option<f64>,
    /// Where `run`'s landing days come from when `--source` is not given (`simulate` or
    /// `files`; absent: `simulate`).
    #[serde(default)]
    pub source: Option<Source>,
    /// The read-only role `init` creates for BI tools (marts and ops only).
    #[serde(default = "default_bi_role")]
    pub bi_role: String,
    /// The role `init` creates for `load` (owns staging; its rejects, audit and runs).
    #[serde(default = "default_loader_role")]
    pub loader_role: String,
    /// The role `init` creates for `validate` (reads staging; writes its results and runs).
    #[serde(default = "default_validator_role")]
    pub validator_role: String,
    /// The role `init` creates for `scd` and `transform` (rows of dw and mart_state).
    #[serde(default = "default_transformer_role")]
    pub transformer_role: String,
    /// How a JSON Lines events file (`events.jsonl[.gz]`) maps onto the contract's columns:
    /// a preset (`segment`, `ga4`) and overrides; none means the contract's own column names
    /// (docs/landing-files.md#mapping).
    #[serde(default)]
    pub mapping: retention_loader::MappingSpec,
}

fn default_bi_role() -> String {
    retention_model::access::DEFAULT_BI_ROLE.to_owned()
}

fn default_loader_role() -> String {
    retention_model::access::DEFAULT_LOADER_ROLE.to_owned()
}

fn default_validator_role() -> String {
    retention_model::access::DEFAULT_VALIDATOR_ROLE.to_owned()
}

fn default_transformer_role() -> String {
    retention_model::access::DEFAULT_TRANSFORMER_ROLE.to_owned()
}

fn default_generator() -> PathBuf {
    PathBuf::from("generator.yaml")
}

fn default_dimensions() -> PathBuf {
    PathBuf::from("dimensions.yaml")
}

fn default_suites() -> Vec<PathBuf> {
    vec![PathBuf::from("expectations")]
}

impl PipelineConfig {
    /// The built-in defaults: the project's own generator settings, suites and dimensions
    /// (compiled in), seed and scale from the generator, the default role names.
    pub fn built_in() -> Self {
        Self {
            generator: PathBuf::new(),
            dimensions: PathBuf::new(),
            expectations: Vec::new(),
            seed: None,
            scale: None,
            source: None,
            bi_role: default_bi_role(),
            loader_role: default_loader_role(),
            validator_role: default_validator_role(),
            transformer_role: default_transformer_role(),
            mapping: retention_loader::MappingSpec::default(),
        }
    }

    /// The checked event mapping of [`PipelineConfig::mapping`].
    pub fn event_mapping(&self) -> Result<retention_loader::Mapping, Error> {
        retention_loader::Mapping::from_spec(&self.mapping)
            .map_err(|e| Error::Usage(format!("config: {e}")))
    }

    /// Reads `path`; paths inside are made relative to its directory. When `path` is
    /// [`DEFAULT_PATH`] and does not exist, the [built-in defaults](Self::built_in).
    pub fn load(path: &Path) -> Result<Self, Error> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound && path == Path::new(DEFAULT_PATH) =>
            {
                tracing::debug!("no config/retention.yaml here; using built-in defaults");
                return Ok(Self::built_in());
            }
            Err(e) => {
                return Err(Error::Usage(format!(
                    "cannot read config {}: {e}",
                    path.display()
                )));
            }
        };
        let mut config: Self = serde_saphyr::from_str(&text)
            .map_err(|e| Error::Usage(format!("config {}: {e}", path.display())))?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.generator = base.join(&config.generator);
        config.dimensions = base.join(&config.dimensions);
        config.expectations = config.expectations.iter().map(|p| base.join(p)).collect();
        retention_loader::Mapping::from_spec(&config.mapping)
            .map_err(|e| Error::Usage(format!("config {}: {e}", path.display())))?;
        Ok(config)
    }
}
