//! Where a run's landing days come from ([`Source`]), the one rule that picks it when the
//! caller does not, and how a day another producer wrote is loaded: with its manifest when
//! the producer wrote one, else counted and hashed by the loader (`load --no-manifest`).

use chrono::NaiveDate;
use retention_model::landing::{MANIFEST_FILE, day_dir};
use serde::Deserialize;

use crate::{Error, Pipeline, Result, Summary, steps::LoadRequest};

/// Where a run's landing days come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The simulator writes each day's files (`generate`) before the day is loaded; an empty
    /// warehouse starting after the first simulated day is bootstrapped from a snapshot.
    #[default]
    Simulate,
    /// The days' files are already under `DATA_DIR/dt=D/`, written by another producer (or an
    /// earlier `retention generate`): no `generate`, no snapshot bootstrap. Each day loads
    /// against its `_manifest.json` when it has one, else without one (`load --no-manifest`).
    Files,
}

impl Source {
    /// The source's name, as `--source` and the configuration's `source:` spell it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Simulate => "simulate",
            Self::Files => "files",
        }
    }

    /// The steps of a day from this source, in order (a subset of [`crate::STEPS`]).
    pub fn steps(self) -> &'static [&'static str] {
        match self {
            Self::Simulate => &crate::STEPS,
            Self::Files => &["load", "validate", "scd", "transform"],
        }
    }
}

impl Pipeline {
    /// The source a run uses: the one `requested` (`--source`), else the configuration's
    /// `source:`, else [`Source::Simulate`]. Nothing is guessed from what `DATA_DIR` holds.
    pub fn source(&self, requested: Option<Source>) -> Source {
        requested.or(self.config.source).unwrap_or_default()
    }

    /// Loads day `date` as another producer left it under `DATA_DIR/dt=D/`: against its
    /// manifest when there is one, else counted and hashed by the loader. A missing directory
    /// is a runtime error naming the day and the directory; a missing file is the loader's
    /// error naming the file. Either way nothing of the day is loaded.
    pub(crate) async fn load_landed(&self, date: NaiveDate) -> Result<Summary> {
        let dir = day_dir(&self.data_dir, date);
        if !dir.is_dir() {
            return Err(Error::Runtime(format!(
                "no landing directory {} for {date}: the day's files have not been delivered",
                dir.display()
            )));
        }
        let with_manifest = dir.join(MANIFEST_FILE).is_file();
        if with_manifest {
            tracing::info!(
                "{date}: {} has {MANIFEST_FILE}: each file is checked against it",
                dir.display()
            );
        } else {
            tracing::info!(
                "{date}: {} has no {MANIFEST_FILE}: the loader counts and hashes the files itself",
                dir.display()
            );
        }
        let req = LoadRequest {
            no_manifest: !with_manifest,
            ..LoadRequest::day(date)
        };
        self.load(&req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PipelineConfig;

    fn pipeline(configured: Option<Source>) -> Pipeline {
        let mut config = PipelineConfig::built_in();
        config.source = configured;
        Pipeline::new(None, config, "/nonexistent")
    }

    #[test]
    fn the_flag_wins_then_the_configuration_then_simulate() {
        assert_eq!(pipeline(None).source(None), Source::Simulate);
        assert_eq!(pipeline(Some(Source::Files)).source(None), Source::Files);
        assert_eq!(
            pipeline(Some(Source::Files)).source(Some(Source::Simulate)),
            Source::Simulate
        );
        assert_eq!(pipeline(None).source(Some(Source::Files)), Source::Files);
    }

    #[test]
    fn the_configuration_spells_the_source_in_lower_case() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("retention.yaml");
        std::fs::write(&path, "source: files\n").unwrap();
        let config = PipelineConfig::load(&path).unwrap();
        assert_eq!(config.source, Some(Source::Files));
        std::fs::write(&path, "source: kafka\n").unwrap();
        assert!(matches!(PipelineConfig::load(&path), Err(Error::Usage(_))));
    }

    #[test]
    fn a_files_day_has_no_generate_step() {
        assert_eq!(
            Source::Files.steps(),
            ["load", "validate", "scd", "transform"]
        );
        assert_eq!(Source::Simulate.steps(), crate::STEPS);
    }
}
