//! The simulation's settings and the one place they are resolved: a value given by the
//! caller (flag or environment), then the pipeline configuration, then the generator's own
//! settings file, else the generator's default.

use chrono::NaiveDate;
use retention_generator::{DEFAULT_SCALE, DEFAULT_SEED, Generator, GeneratorConfig};

use crate::{Pipeline, Result};

/// Seed and scale as the caller gave them (`None`: not given, look further).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sim {
    /// Simulation seed.
    pub seed: Option<u64>,
    /// Population scale multiplier (1.0 is the default population).
    pub scale: Option<f64>,
}

impl Pipeline {
    /// The generator for `sim`, with the seed and scale it resolved to.
    pub fn generator(&self, sim: &Sim) -> Result<(Generator, u64, f64)> {
        let config = if self.config.generator.as_os_str().is_empty() {
            GeneratorConfig::default()
        } else {
            GeneratorConfig::from_yaml_file(&self.config.generator)?
        };
        let seed = first_of([sim.seed, self.config.seed, config.seed], DEFAULT_SEED);
        let scale = first_of([sim.scale, self.config.scale, config.scale], DEFAULT_SCALE);
        Ok((Generator::new(config, seed, scale)?, seed, scale))
    }

    /// The generator's first day (its horizon start) for `sim`.
    pub fn first_simulated_day(&self, sim: &Sim) -> Result<NaiveDate> {
        Ok(self.generator(sim)?.0.horizon().0)
    }
}

/// The first value given, in precedence order, else the default.
fn first_of<T: Copy, const N: usize>(sources: [Option<T>; N], default: T) -> T {
    sources.into_iter().flatten().next().unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_and_scale_come_from_the_flag_then_the_pipeline_config_then_generator_yaml() {
        assert_eq!(first_of([Some(7), Some(8), Some(9)], DEFAULT_SEED), 7);
        assert_eq!(first_of([None, Some(8), Some(9)], DEFAULT_SEED), 8);
        assert_eq!(first_of([None, None, Some(9)], DEFAULT_SEED), 9);
        assert_eq!(first_of([None, None, None], DEFAULT_SEED), 42);
        assert_eq!(first_of([None, None, None], DEFAULT_SCALE), 1.0);
    }
}
