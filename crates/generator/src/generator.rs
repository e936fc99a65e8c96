//! [`Generator`]: the horizon-level plan (how many users sign up and how many products
//! arrive on each day, hence which ids exist when) and the per-entity lives drawn on demand.

use chrono::{Days, NaiveDate};

use crate::{
    Error, Result,
    calendar::{self, DayFactors},
    catalog::{ProductLife, Zipf},
    config::{GeneratorConfig, check_scale},
    population::{UserLife, user_core},
    rng::{CoreReader, Rand, Streams},
};

/// A seeded simulation of one horizon. Cheap to build (a few arrays of one entry per day)
/// and immutable: days can be written from many threads at once.
#[derive(Debug, Clone)]
pub struct Generator {
    pub(crate) config: GeneratorConfig,
    pub(crate) seed: u64,
    pub(crate) scale: f64,
    pub(crate) streams: Streams,
    pub(crate) config_hash: String,
    initial_users: u64,
    /// Last user id signed up by the end of each day.
    users_by_day: Vec<u64>,
    initial_products: u64,
    /// Last product id introduced by the end of each day.
    products_by_day: Vec<u64>,
    pub(crate) factors: Vec<DayFactors>,
    pub(crate) zipf: Zipf,
}

impl Generator {
    /// Plans the horizon for `seed` and `scale` (population multiplier, > 0).
    pub fn new(config: GeneratorConfig, seed: u64, scale: f64) -> Result<Self> {
        check_scale(scale)?;
        config.validate()?;
        let streams = Streams::new(seed);
        let p = &config.population;
        let initial_users = (f64::from(p.initial_users) * scale).round().max(1.0) as u64;
        let initial_products = (f64::from(p.initial_products) * scale).round().max(1.0) as u64;
        let mut factors = Vec::with_capacity(config.days as usize);
        let (mut users, mut products) = (initial_users, initial_products);
        let mut users_by_day = Vec::with_capacity(config.days as usize);
        let mut products_by_day = Vec::with_capacity(config.days as usize);
        for day in 0..config.days {
            let date = config.start_date + Days::new(u64::from(day));
            let f = calendar::factors(&config.seasonality, date);
            let trend = 1.0 + p.signup_growth * f64::from(day) / f64::from(config.days);
            let mut rng = streams.day(day, 0);
            users += rng.count(p.signups_per_day * scale * trend * f.traffic);
            products += rng.count(p.new_products_per_day * scale);
            users_by_day.push(users);
            products_by_day.push(products);
            factors.push(f);
        }
        let zipf = Zipf::new(products, config.funnel.zipf_exponent);
        Ok(Self {
            config_hash: config.config_hash(),
            config,
            seed,
            scale,
            streams,
            initial_users,
            users_by_day,
            initial_products,
            products_by_day,
            factors,
            zipf,
        })
    }

    /// First and last simulated day.
    pub fn horizon(&self) -> (NaiveDate, NaiveDate) {
        (self.config.start_date, self.config.end_date())
    }

    /// The configuration in use.
    pub fn config(&self) -> &GeneratorConfig {
        &self.config
    }

    /// SHA-256 of the configuration (see [`GeneratorConfig::config_hash`]).
    pub fn config_hash(&self) -> String {
        self.config_hash.clone()
    }

    /// The seed in use.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The scale in use.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// Day index of `date`, or [`Error::OutOfHorizon`].
    pub fn day_index(&self, date: NaiveDate) -> Result<i32> {
        let (first, last) = self.horizon();
        if date < first || date > last {
            return Err(Error::OutOfHorizon { date, first, last });
        }
        Ok((date - first).num_days() as i32)
    }

    /// The date of day index `day` (which may lie before the horizon).
    pub(crate) fn date_of(&self, day: i32) -> NaiveDate {
        if day >= 0 {
            self.config.start_date + Days::new(day as u64)
        } else {
            self.config.start_date - Days::new(u64::from(day.unsigned_abs()))
        }
    }

    /// Users who exist by the end of day index `day` have ids `1..=last_user(day)`.
    pub fn last_user(&self, day: i32) -> u64 {
        if day < 0 {
            self.initial_users
        } else {
            self.users_by_day[(day as usize).min(self.users_by_day.len() - 1)]
        }
    }

    /// Products that exist by the end of day index `day` have ids `1..=last_product(day)`.
    pub fn last_product(&self, day: i32) -> u64 {
        if day < 0 {
            self.initial_products
        } else {
            self.products_by_day[(day as usize).min(self.products_by_day.len() - 1)]
        }
    }

    /// The core of user `id`'s life (see [`UserLife::draw_core`]).
    pub(crate) fn user_core(&self, id: u64, cores: &mut CoreReader) -> UserLife {
        let signup_day = (id > self.initial_users)
            .then(|| self.users_by_day.partition_point(|&last| last < id) as i32);
        user_core(&self.config, cores, id, signup_day)
    }

    /// The whole life of user `id`; `rng` is any user-domain stream.
    pub(crate) fn user(&self, id: u64, cores: &mut CoreReader, rng: &mut Rand) -> UserLife {
        let mut life = self.user_core(id, cores);
        life.complete(&self.config, rng);
        life
    }

    /// The life of product `id`.
    pub(crate) fn product(&self, id: u64) -> ProductLife {
        let intro_day = (id > self.initial_products)
            .then(|| self.products_by_day.partition_point(|&last| last < id) as i32);
        ProductLife::draw(&self.config, &self.streams, id, intro_day)
    }
}
