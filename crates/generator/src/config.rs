//! `config/generator.yaml`: the shape of the simulated business and the rates of injected
//! mess. Every field has a default (the shipped file repeats them), so a file may set only
//! what it changes.

use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// The generator's settings. `seed` and `scale` here are the lowest-precedence defaults
/// (flags, environment and the pipeline config win) and are left out of [`Self::config_hash`],
/// because the manifest records them on their own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GeneratorConfig {
    /// First simulated day.
    pub start_date: NaiveDate,
    /// Length of the simulated horizon in days.
    pub days: u32,
    /// Seed used when nothing else gives one.
    #[serde(skip_serializing)]
    pub seed: Option<u64>,
    /// Scale used when nothing else gives one.
    #[serde(skip_serializing)]
    pub scale: Option<f64>,
    /// Population and catalogue sizes (at scale 1).
    pub population: Population,
    /// How often users come back, and for how long.
    pub engagement: Engagement,
    /// Session funnel probabilities.
    pub funnel: Funnel,
    /// Calendar effects on traffic.
    pub seasonality: Seasonality,
    /// Rates of user and product changes (per entity per year).
    pub changes: Changes,
    /// Injected anomalies (fractions of rows).
    pub mess: Mess,
}

/// Population and catalogue sizes at scale 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Population {
    /// Users who signed up before the horizon (over the year before it).
    pub initial_users: u32,
    /// Mean signups per day at the start of the horizon.
    pub signups_per_day: f64,
    /// Growth of the signup rate over the horizon (0.5 = 50% more by the end).
    pub signup_growth: f64,
    /// Products in the catalogue on the first day.
    pub initial_products: u32,
    /// Mean new products per day.
    pub new_products_per_day: f64,
}

/// Engagement: the probability that a user is active on a day decays with tenure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Engagement {
    /// Mean probability that a fresh user is active on a given day.
    pub daily_activity: f64,
    /// Tenure (days) over which early enthusiasm fades (e-folding time).
    pub decay_days: f64,
    /// Share of the initial activity left once enthusiasm has faded.
    pub long_run_share: f64,
    /// Share of signups who try the shop and are gone within days.
    pub early_churn: f64,
    /// Mean days from signup to churn (the last active day) of the others.
    pub mean_lifetime_days: f64,
    /// Mean sessions on an active day.
    pub sessions_per_active_day: f64,
}

/// Session funnel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Funnel {
    /// Share of sessions with a site search.
    pub search_rate: f64,
    /// Mean product views per session.
    pub product_views_per_session: f64,
    /// Probability that a viewed product is put in the cart.
    pub add_to_cart_rate: f64,
    /// Probability that a session with a cart removes an item.
    pub remove_from_cart_rate: f64,
    /// Probability that a session with a non-empty cart begins checkout.
    pub checkout_rate: f64,
    /// Probability that a begun checkout ends in a purchase.
    pub purchase_rate: f64,
    /// Exponent of the Zipf law of product popularity.
    pub zipf_exponent: f64,
}

/// Calendar effects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Seasonality {
    /// Traffic on Saturdays and Sundays relative to weekdays.
    pub weekend_factor: f64,
    /// Depth of the summer dip (0.15 = 15% less traffic at the end of July).
    pub summer_dip: f64,
    /// Height of the November–December peak (0.35 = 35% more around Dec 20).
    pub holiday_peak: f64,
    /// Traffic on Black Friday relative to a normal day.
    pub black_friday: f64,
}

/// Change rates, per entity per year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Changes {
    /// Moves (city, often country).
    pub moves: f64,
    /// Device switches.
    pub device_switches: f64,
    /// Plan upgrades or downgrades.
    pub plan_changes: f64,
    /// Email address changes.
    pub email_changes: f64,
    /// Probability that an account is deleted within a year.
    pub deletions: f64,
    /// Product price changes.
    pub price_changes: f64,
    /// Probability that a product (outside the top sellers) is discontinued within a year.
    pub discontinuations: f64,
}

/// Injected anomalies. Event rates are fractions of clean event rows (`invalid_purchase` of
/// purchase rows); `dirty_user_row` is a fraction of user rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mess {
    /// A byte-exact copy of a clean event right after it.
    pub duplicate_event: f64,
    /// `user_id` left empty.
    pub missing_user_id: f64,
    /// `event_type` spelled another way (case, spaces, `pageview`), kept after cleaning.
    pub event_type_variant: f64,
    /// `event_type` that is none of the eight.
    pub unknown_event_type: f64,
    /// `event_ts` in the far future or at 1970.
    pub timestamp_out_of_range: f64,
    /// An extra event 1–3 days old (kept, dated by its own timestamp); drawn per row, but
    /// only users who signed up at least two days earlier can send one.
    pub late_event: f64,
    /// `event_ts` that is not a timestamp.
    pub bad_timestamp: f64,
    /// A numeric field that is not a number (or a price with three decimals).
    pub bad_number: f64,
    /// A row with one field too few or too many.
    pub bad_field_count: f64,
    /// Purchase rows with quantity outside 1..=100, a price not above 0 or no order id.
    pub invalid_purchase: f64,
    /// User rows with an upper-case email, stray whitespace or a lower-case country code.
    pub dirty_user_row: f64,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        Self {
            start_date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
            days: 365,
            seed: None,
            scale: None,
            population: Population::default(),
            engagement: Engagement::default(),
            funnel: Funnel::default(),
            seasonality: Seasonality::default(),
            changes: Changes::default(),
            mess: Mess::default(),
        }
    }
}

impl Default for Population {
    fn default() -> Self {
        Self {
            initial_users: 7000,
            signups_per_day: 24.0,
            signup_growth: 0.5,
            initial_products: 300,
            new_products_per_day: 0.3,
        }
    }
}

impl Default for Engagement {
    fn default() -> Self {
        Self {
            daily_activity: 0.2,
            decay_days: 14.0,
            long_run_share: 0.3,
            early_churn: 0.4,
            mean_lifetime_days: 150.0,
            sessions_per_active_day: 1.4,
        }
    }
}

impl Default for Funnel {
    fn default() -> Self {
        Self {
            search_rate: 0.3,
            product_views_per_session: 2.5,
            add_to_cart_rate: 0.12,
            remove_from_cart_rate: 0.15,
            checkout_rate: 0.55,
            purchase_rate: 0.7,
            zipf_exponent: 1.07,
        }
    }
}

impl Default for Seasonality {
    fn default() -> Self {
        Self {
            weekend_factor: 0.8,
            summer_dip: 0.15,
            holiday_peak: 0.35,
            black_friday: 2.5,
        }
    }
}

impl Default for Changes {
    fn default() -> Self {
        Self {
            moves: 0.12,
            device_switches: 0.35,
            plan_changes: 0.25,
            email_changes: 0.08,
            deletions: 0.04,
            price_changes: 2.0,
            discontinuations: 0.05,
        }
    }
}

impl Default for Mess {
    fn default() -> Self {
        Self {
            duplicate_event: 0.004,
            missing_user_id: 0.002,
            event_type_variant: 0.01,
            unknown_event_type: 0.001,
            timestamp_out_of_range: 0.001,
            late_event: 0.008,
            bad_timestamp: 0.0005,
            bad_number: 0.0005,
            bad_field_count: 0.0005,
            invalid_purchase: 0.01,
            dirty_user_row: 0.03,
        }
    }
}

impl GeneratorConfig {
    /// Reads and validates a YAML file; parse errors name the file, line and column.
    pub fn from_yaml_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::ReadConfig {
            path: path.to_owned(),
            source,
        })?;
        let config: Self = serde_saphyr::from_str(&text).map_err(|e| Error::ParseConfig {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// SHA-256 (lower-case hex) of the settings that shape the data: everything but `seed` and
    /// `scale`, which the manifest records on their own.
    pub fn config_hash(&self) -> String {
        let canonical = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(&canonical))
    }

    /// The last simulated day.
    pub fn end_date(&self) -> NaiveDate {
        self.start_date + chrono::Days::new(u64::from(self.days.saturating_sub(1)))
    }

    /// Checks every value against its range.
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &str, reason: &str| {
            Err(Error::InvalidSetting {
                field: field.to_owned(),
                reason: reason.to_owned(),
            })
        };
        if !(1..=1000).contains(&self.days) {
            return bad("days", "must be between 1 and 1000");
        }
        if let Some(scale) = self.scale {
            check_scale(scale)?;
        }
        let p = &self.population;
        let non_negative = [
            ("population.signups_per_day", p.signups_per_day),
            ("population.signup_growth", p.signup_growth),
            ("population.new_products_per_day", p.new_products_per_day),
            (
                "engagement.sessions_per_active_day",
                self.engagement.sessions_per_active_day,
            ),
            (
                "funnel.product_views_per_session",
                self.funnel.product_views_per_session,
            ),
            ("funnel.zipf_exponent", self.funnel.zipf_exponent),
            (
                "seasonality.weekend_factor",
                self.seasonality.weekend_factor,
            ),
            ("seasonality.holiday_peak", self.seasonality.holiday_peak),
            ("seasonality.black_friday", self.seasonality.black_friday),
            ("changes.moves", self.changes.moves),
            ("changes.device_switches", self.changes.device_switches),
            ("changes.plan_changes", self.changes.plan_changes),
            ("changes.email_changes", self.changes.email_changes),
            ("changes.price_changes", self.changes.price_changes),
        ];
        for (field, v) in non_negative {
            if !(v.is_finite() && v >= 0.0) {
                return bad(field, "must be a finite number, at least 0");
            }
        }
        if p.initial_users == 0 || p.initial_products == 0 {
            return bad(
                "population",
                "initial_users and initial_products must be at least 1",
            );
        }
        if self.engagement.sessions_per_active_day < 1.0 {
            return bad("engagement.sessions_per_active_day", "must be at least 1");
        }
        for (field, v) in [
            ("engagement.decay_days", self.engagement.decay_days),
            (
                "engagement.mean_lifetime_days",
                self.engagement.mean_lifetime_days,
            ),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return bad(field, "must be above 0");
            }
        }
        let m = &self.mess;
        let probabilities = [
            ("engagement.daily_activity", self.engagement.daily_activity),
            ("engagement.long_run_share", self.engagement.long_run_share),
            ("engagement.early_churn", self.engagement.early_churn),
            ("funnel.search_rate", self.funnel.search_rate),
            ("funnel.add_to_cart_rate", self.funnel.add_to_cart_rate),
            (
                "funnel.remove_from_cart_rate",
                self.funnel.remove_from_cart_rate,
            ),
            ("funnel.checkout_rate", self.funnel.checkout_rate),
            ("funnel.purchase_rate", self.funnel.purchase_rate),
            ("seasonality.summer_dip", self.seasonality.summer_dip),
            ("changes.deletions", self.changes.deletions),
            ("changes.discontinuations", self.changes.discontinuations),
            ("mess.invalid_purchase", m.invalid_purchase),
            ("mess.dirty_user_row", m.dirty_user_row),
        ];
        for (field, v) in probabilities.into_iter().chain(self.mess.event_rates()) {
            if !(0.0..=1.0).contains(&v) {
                return bad(field, "must be a probability between 0 and 1");
            }
        }
        let total: f64 = self.mess.event_rates().iter().map(|(_, v)| v).sum();
        if total > 0.5 {
            return bad("mess", "event anomaly rates add up to more than 0.5");
        }
        Ok(())
    }
}

impl Mess {
    /// The per-event-row rates, in the order the generator draws them.
    pub(crate) fn event_rates(&self) -> [(&'static str, f64); 9] {
        [
            ("mess.duplicate_event", self.duplicate_event),
            ("mess.missing_user_id", self.missing_user_id),
            ("mess.event_type_variant", self.event_type_variant),
            ("mess.unknown_event_type", self.unknown_event_type),
            ("mess.timestamp_out_of_range", self.timestamp_out_of_range),
            ("mess.late_event", self.late_event),
            ("mess.bad_timestamp", self.bad_timestamp),
            ("mess.bad_number", self.bad_number),
            ("mess.bad_field_count", self.bad_field_count),
        ]
    }
}

/// A scale must be a positive finite number small enough to keep ids in range.
pub(crate) fn check_scale(scale: f64) -> Result<()> {
    if scale.is_finite() && scale > 0.0 && scale <= 100_000.0 {
        Ok(())
    } else {
        Err(Error::InvalidSetting {
            field: "scale".to_owned(),
            reason: format!("{scale} is not a number in (0, 100000]"),
        })
    }
}
