//! A user's whole life, drawn from the user's own profile stream: signup, attributes,
//! engagement, churn, and every change (moves, device switches, plan changes, email changes,
//! deletion) over the horizon. State on any day is a fold over that small, fixed list, so no
//! day depends on the days before it.

use crate::{
    config::GeneratorConfig,
    rng::{CoreReader, Draw, PROFILE, Rand, user_stream},
    tables::{
        CHANNEL_PICK, CHANNELS, CITIES, CITY_PICK, DEVICE_PICK, DEVICES, HOUR_PICK, PLAN_PICK,
        PLANS,
    },
};

/// Most changes a user can have over the horizon (rates are a fraction of one per year).
const MAX_CHANGES: usize = 8;
/// Initial users signed up over this many days before the horizon.
pub const INITIAL_SPREAD_DAYS: u64 = 365;
/// Milliseconds in a day.
pub const DAY_MS: u32 = 86_400_000;

/// The attributes that change over a user's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attrs {
    /// Index into [`CITIES`] (which also gives the country).
    pub city: u8,
    /// Index into [`DEVICES`].
    pub device: u8,
    /// Index into [`PLANS`].
    pub plan: u8,
    /// How many times the email address changed.
    pub email_version: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Move,
    Device,
    Plan,
    Email,
}

/// One change: on day index `day` at `ms` into the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// Day index in the horizon.
    pub day: i32,
    /// Milliseconds into the day.
    pub ms: u32,
    kind: Kind,
    value: u8,
}

/// Everything about one user that does not depend on the day asked about.
#[derive(Debug, Clone)]
pub struct UserLife {
    /// The user id.
    pub id: u64,
    /// Day index of signup (negative: before the horizon).
    pub signup_day: i32,
    /// Milliseconds into the signup day.
    pub signup_ms: u32,
    /// Index into [`CHANNELS`].
    pub channel: u8,
    /// Attributes at signup.
    pub initial: Attrs,
    /// Probability of a visit on a day for a fresh user, before seasonality.
    pub activity: f64,
    /// Last day index on which the user may be active.
    pub churn_day: i32,
    /// Day index and time of the account deletion, if it falls in the horizon.
    pub deletion: Option<(i32, u32)>,
    changes: [Change; MAX_CHANGES],
    n_changes: usize,
}

/// A time of day following the daily traffic curve.
pub fn time_of_day(rng: &mut impl Draw) -> u32 {
    let bits = rng.bits();
    let hour = HOUR_PICK.pick(bits) as u32;
    hour * 3_600_000 + (((bits & 0xffff_ffff) * 3_600_000) >> 32) as u32
}

impl UserLife {
    /// Draws what decides whether user `id` matters on a given day: signup (`None` for the
    /// initial population, whose signup day is drawn from before the horizon), channel,
    /// plan, engagement, churn and deletion. Attributes and changes come with
    /// [`UserLife::complete`], from the same stream, only for users who need them.
    pub fn draw_core(
        config: &GeneratorConfig,
        id: u64,
        signup_day: Option<i32>,
        rng: &mut impl Draw,
    ) -> Self {
        let days = config.days as i32;
        let signup_day = signup_day.unwrap_or_else(|| -1 - rng.below(INITIAL_SPREAD_DAYS) as i32);
        let signup_ms = time_of_day(rng);
        let channel = CHANNEL_PICK.pick(rng.bits());
        let plan = PLAN_PICK.pick(rng.bits());
        let loyalty = CHANNELS[channel].2 * PLANS[plan].2;
        let e = &config.engagement;
        let activity = (e.daily_activity * (0.3 + 1.4 * rng.f64()) * loyalty).min(0.95);
        let lifetime = if rng.chance(e.early_churn) {
            rng.exp(3.0)
        } else {
            rng.exp(e.mean_lifetime_days * loyalty)
        };
        let churn_day = signup_day.saturating_add(lifetime.min(1e6) as i32);
        let first = signup_day.max(0) + 1;
        let deletion = if first < days
            && rng.chance(config.changes.deletions * f64::from(days - first) / 365.0)
        {
            let day = if churn_day + 1 < days {
                first.max(churn_day + 1 + rng.below(60) as i32)
            } else {
                first + rng.below(u64::from((days - first) as u32)) as i32
            };
            let ms = time_of_day(rng);
            (day < days).then_some((day, ms))
        } else {
            None
        };
        Self {
            id,
            signup_day,
            signup_ms,
            channel: channel as u8,
            initial: Attrs {
                city: 0,
                device: 0,
                plan: plan as u8,
                email_version: 0,
            },
            activity,
            churn_day,
            deletion,
            changes: [Change {
                day: i32::MAX,
                ms: 0,
                kind: Kind::Move,
                value: 0,
            }; MAX_CHANGES],
            n_changes: 0,
        }
    }

    /// Draws the attributes at signup and every change from the user's profile stream (to
    /// which `rng`, any user-domain stream, is moved). Profiles change only while the user
    /// is still a customer (up to the churn day), at most once a day, never on or after the
    /// deletion day.
    pub fn complete(&mut self, config: &GeneratorConfig, rng: &mut Rand) {
        rng.reseat(user_stream(self.id, PROFILE));
        let days = config.days as i32;
        self.initial.city = CITY_PICK.pick(rng.u64()) as u8;
        self.initial.device = DEVICE_PICK.pick(rng.u64()) as u8;
        let first = self.signup_day.max(0) + 1;
        let end = days.min(self.churn_day.saturating_add(1));
        let mut n = 0;
        let c = &config.changes;
        for (kind, rate) in [
            (Kind::Move, c.moves),
            (Kind::Device, c.device_switches),
            (Kind::Plan, c.plan_changes),
            (Kind::Email, c.email_changes),
        ] {
            if rate <= 0.0 || first >= end {
                continue;
            }
            let mut t = f64::from(first) + rng.exp(365.0 / rate);
            while t < f64::from(end) && n < MAX_CHANGES {
                self.changes[n] = Change {
                    day: t as i32,
                    ms: time_of_day(rng),
                    kind,
                    value: 0,
                };
                n += 1;
                t += 1.0 + rng.exp(365.0 / rate);
            }
        }
        self.n_changes = n;
        self.settle(end, rng);
    }

    /// Orders the changes, keeps at most one per day and none from the deletion day on, and
    /// draws their new values in order so each differs from the value before it.
    fn settle(&mut self, days: i32, rng: &mut Rand) {
        let list = &mut self.changes[..self.n_changes];
        list.sort_by_key(|c| (c.day, c.ms));
        let end = self.deletion.map_or(days, |(d, _)| d);
        let mut kept = 0;
        let mut last_day = i32::MIN;
        let mut state = self.initial;
        for i in 0..self.n_changes {
            let mut c = self.changes[i];
            c.day = c.day.max(last_day + 1);
            if c.day >= end {
                break;
            }
            c.value = match c.kind {
                Kind::Move => {
                    let city = CITY_PICK.pick(rng.u64()) as u8;
                    if city == state.city {
                        (city + 1) % CITIES.len() as u8
                    } else {
                        city
                    }
                }
                Kind::Device => (state.device + 1 + rng.below(2) as u8) % DEVICES.len() as u8,
                Kind::Plan => match state.plan {
                    0 => 1 + u8::from(rng.chance(0.2)),
                    1 => 2 * u8::from(rng.chance(0.4)),
                    _ => 1,
                },
                Kind::Email => state.email_version.saturating_add(1),
            };
            state = apply(state, &c);
            last_day = c.day;
            self.changes[kept] = c;
            kept += 1;
        }
        self.n_changes = kept;
    }

    /// The changes, in day order.
    pub fn changes(&self) -> &[Change] {
        &self.changes[..self.n_changes]
    }

    /// Attributes at the end of day index `day`.
    pub fn attrs_at(&self, day: i32) -> Attrs {
        self.changes()
            .iter()
            .take_while(|c| c.day <= day)
            .fold(self.initial, apply)
    }

    /// The change made on day index `day`, if any.
    pub fn change_on(&self, day: i32) -> Option<&Change> {
        self.changes().iter().find(|c| c.day == day)
    }

    /// When the user's row last changed by the end of day index `day`: (day index, ms).
    pub fn last_update(&self, day: i32) -> (i32, u32) {
        self.changes()
            .iter()
            .take_while(|c| c.day <= day)
            .last()
            .map_or((self.signup_day, self.signup_ms), |c| (c.day, c.ms))
    }

    /// True when the account is deleted on or before day index `day`.
    pub fn deleted_by(&self, day: i32) -> bool {
        self.deletion.is_some_and(|(d, _)| d <= day)
    }
}

fn apply(mut a: Attrs, c: &Change) -> Attrs {
    match c.kind {
        Kind::Move => a.city = c.value,
        Kind::Device => a.device = c.value,
        Kind::Plan => a.plan = c.value,
        Kind::Email => a.email_version = c.value,
    }
    a
}

/// Draws the core of user `id`'s life from its core slice.
pub fn user_core(
    config: &GeneratorConfig,
    cores: &mut CoreReader,
    id: u64,
    signup_day: Option<i32>,
) -> UserLife {
    UserLife::draw_core(config, id, signup_day, &mut cores.words(id))
}
