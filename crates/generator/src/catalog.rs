//! The product catalogue: each product's life (introduction, price changes, discontinuation)
//! from its own stream, and Zipf-distributed popularity by product id (id 1 sells best).

use crate::{
    config::GeneratorConfig,
    population::time_of_day,
    rng::{Draw, PROFILE, Rand, Streams},
    tables::{ADJECTIVES, CATEGORIES, NOUNS},
};

/// Products with an id up to this are top sellers and never discontinued.
const PERMANENT_PRODUCTS: u64 = 50;
const MAX_CHANGES: usize = 6;
/// Initial products were introduced over this many days before the horizon.
const INITIAL_SPREAD_DAYS: u64 = 1000;

/// One catalogue change on day index `day` at `ms`: a new price, or discontinuation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceChange {
    /// Day index.
    pub day: i32,
    /// Milliseconds into the day.
    pub ms: u32,
    /// New price in cents; `None` discontinues the product.
    pub price: Option<i64>,
}

/// A product's whole life.
#[derive(Debug, Clone)]
pub struct ProductLife {
    /// The product id.
    pub id: u64,
    /// Day index it entered the catalogue (negative: before the horizon).
    pub intro_day: i32,
    /// Milliseconds into the introduction day.
    pub intro_ms: u32,
    /// Index into [`CATEGORIES`].
    pub category: u8,
    brand: u8,
    adjective: u8,
    noun: u8,
    /// Price at introduction, in cents.
    pub initial_price: i64,
    changes: [PriceChange; MAX_CHANGES],
    n_changes: usize,
}

/// State of a product at a point in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProductState {
    /// Price in cents.
    pub price: i64,
    /// False once discontinued.
    pub active: bool,
}

/// A shop-like price: `x.99`, at least 0.99.
fn shop_price(cents: f64) -> i64 {
    ((cents / 100.0).round() as i64 * 100 - 1).max(99)
}

impl ProductLife {
    /// Draws product `id`, introduced on day index `intro_day` (`None`: initial catalogue).
    pub fn draw(
        config: &GeneratorConfig,
        streams: &Streams,
        id: u64,
        intro_day: Option<i32>,
    ) -> Self {
        let mut rng: Rand = streams.product(id, PROFILE);
        let days = config.days as i32;
        let intro_day = intro_day.unwrap_or_else(|| -1 - rng.below(INITIAL_SPREAD_DAYS) as i32);
        let intro_ms = time_of_day(&mut rng);
        let category = rng.below(CATEGORIES.len() as u64) as u8;
        let brand = rng.below(4) as u8;
        let adjective = rng.below(ADJECTIVES.len() as u64) as u8;
        let noun = rng.below(NOUNS.len() as u64) as u8;
        let (a, b) = (rng.f64(), rng.f64());
        let normal = (-2.0 * (1.0 - a).ln()).sqrt() * (std::f64::consts::TAU * b).cos();
        let typical = CATEGORIES[category as usize].1 as f64;
        let initial_price = shop_price(typical * (0.5 * normal).exp());

        let mut changes = [PriceChange {
            day: 0,
            ms: 0,
            price: None,
        }; MAX_CHANGES];
        let mut n = 0;
        let first = intro_day.max(0) + 1;
        let c = &config.changes;
        let discontinued = (id > PERMANENT_PRODUCTS
            && first < days
            && rng.chance(c.discontinuations * f64::from(days - first) / 365.0))
        .then(|| first + rng.below(u64::from((days - first) as u32)) as i32);
        let end = discontinued.unwrap_or(days);
        let mut price = initial_price;
        if c.price_changes > 0.0 {
            let mut t = f64::from(first) + rng.exp(365.0 / c.price_changes);
            while t < f64::from(end) && n < MAX_CHANGES - 1 {
                const FACTORS: [f64; 6] = [0.85, 0.9, 0.95, 1.05, 1.1, 1.2];
                let factor = FACTORS[rng.below(FACTORS.len() as u64) as usize];
                let new = shop_price(price as f64 * factor);
                let new = if new == price { price + 100 } else { new };
                changes[n] = PriceChange {
                    day: t as i32,
                    ms: time_of_day(&mut rng),
                    price: Some(new),
                };
                price = new;
                n += 1;
                t += 1.0 + rng.exp(365.0 / c.price_changes);
            }
        }
        if let Some(day) = discontinued {
            changes[n] = PriceChange {
                day,
                ms: time_of_day(&mut rng),
                price: None,
            };
            n += 1;
        }
        Self {
            id,
            intro_day,
            intro_ms,
            category,
            brand,
            adjective,
            noun,
            initial_price,
            changes,
            n_changes: n,
        }
    }

    /// The changes, in day order (at most one per day).
    pub fn changes(&self) -> &[PriceChange] {
        &self.changes[..self.n_changes]
    }

    /// State at `ms` into day index `day`.
    pub fn state_at(&self, day: i32, ms: u32) -> ProductState {
        let mut s = ProductState {
            price: self.initial_price,
            active: true,
        };
        for c in self.changes() {
            if (c.day, c.ms) > (day, ms) {
                break;
            }
            match c.price {
                Some(p) => s.price = p,
                None => s.active = false,
            }
        }
        s
    }

    /// The change made on day index `day`, if any.
    pub fn change_on(&self, day: i32) -> Option<&PriceChange> {
        self.changes().iter().find(|c| c.day == day)
    }

    /// When the product's row last changed by the end of day index `day`.
    pub fn last_update(&self, day: i32) -> (i32, u32) {
        self.changes()
            .iter()
            .take_while(|c| c.day <= day)
            .last()
            .map_or((self.intro_day, self.intro_ms), |c| (c.day, c.ms))
    }

    /// Category name.
    pub fn category_name(&self) -> &'static str {
        CATEGORIES[self.category as usize].0
    }

    /// Brand name.
    pub fn brand_name(&self) -> &'static str {
        CATEGORIES[self.category as usize].2[self.brand as usize]
    }

    /// Display name, e.g. `Voltra Smart Kit`.
    pub fn name_parts(&self) -> [&'static str; 3] {
        [
            self.brand_name(),
            ADJECTIVES[self.adjective as usize],
            NOUNS[self.noun as usize],
        ]
    }
}

/// Cumulative Zipf weights over product ranks 1..=n.
#[derive(Debug, Clone)]
pub struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    /// Weights `1 / rank^exponent` for ranks 1..=n.
    pub fn new(n: u64, exponent: f64) -> Self {
        let mut total = 0.0;
        let cdf = (1..=n.max(1))
            .map(|k| {
                total += (k as f64).powf(-exponent);
                total
            })
            .collect();
        Self { cdf }
    }

    /// A product id in 1..=available (available ≤ n), more popular ids more often.
    pub fn pick(&self, available: u64, rng: &mut Rand) -> u64 {
        let available = (available as usize).clamp(1, self.cdf.len().max(1));
        let target = rng.f64() * self.cdf[available - 1];
        self.cdf[..available].partition_point(|&c| c <= target) as u64 + 1
    }
}
