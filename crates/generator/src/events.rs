//! One user's clickstream on one day: visits with funnel paths (page views, searches,
//! product views, clicks, cart changes, checkout, purchase), written as CSV rows, each row
//! drawn to carry at most one injected anomaly.

use retention_model::EventType;

use crate::{
    Result,
    catalog::ProductState,
    generator::Generator,
    mess::{MessCounts, MessKind},
    out::CsvFile,
    population::{DAY_MS, UserLife, time_of_day},
    rng::{Draw, Rand, day_slot, user_stream},
    row::{Anomaly, Page, Row, RowDates, Who, plain},
    tables::{CATEGORIES, SEARCH_TERMS, UNKNOWN_EVENT_TYPES},
};

/// Products whose state for the day is precomputed (the Zipf head gets nearly all views).
pub const HOT_PRODUCTS: u64 = 1 << 16;
const MAX_VIEWS: u32 = 8;
const MAX_CART: usize = 5;

/// A product's state on the day: before and after its change of the day, if any.
#[derive(Debug, Clone, Copy)]
pub struct HotProduct {
    /// State before `change_ms`.
    pub before: ProductState,
    /// Time of the day's change (`u32::MAX`: none).
    pub change_ms: u32,
    /// State from `change_ms` on.
    pub after: ProductState,
}

/// Everything a day's event writer needs that is the same for every user.
#[derive(Debug)]
pub struct DayEvents<'a> {
    generator: &'a Generator,
    day: i32,
    dates: RowDates,
    traffic: f64,
    conversion: f64,
    available_products: u64,
    hot: &'a [HotProduct],
    /// Cumulative per-row thresholds of the first nine kinds.
    thresholds: [f64; 9],
    /// The output file.
    pub file: CsvFile,
    /// Exact anomaly counts so far.
    pub counts: MessCounts,
}

impl<'a> DayEvents<'a> {
    /// Prepares day index `day`; `hot` holds the day's state of products `1..=hot.len()`.
    /// Borrowed, not copied: every block of users of a day reads the same table.
    pub fn new(generator: &'a Generator, day: i32, hot: &'a [HotProduct], file: CsvFile) -> Self {
        let f = generator.factors[day as usize];
        let mut thresholds = [0.0; 9];
        let mut total = 0.0;
        for (i, (_, rate)) in generator.config.mess.event_rates().iter().enumerate() {
            total += rate;
            thresholds[i] = total;
        }
        Self {
            generator,
            day,
            dates: RowDates::new(generator.date_of(day)),
            traffic: f.traffic,
            conversion: f.conversion,
            available_products: if day == 0 {
                generator.last_product(-1)
            } else {
                generator.last_product(day - 1)
            },
            hot,
            thresholds,
            file,
            counts: MessCounts::default(),
        }
    }

    /// Writes the day's events of one user, drawing from the user's stream of the day (to
    /// which `rng`, any user-domain stream, is moved).
    pub fn user(&mut self, life: &UserLife, rng: &mut Rand) -> Result<()> {
        let day = self.day;
        if day < life.signup_day || life.deleted_by(day) || day > life.churn_day {
            return Ok(());
        }
        let g = self.generator;
        let e = &g.config.engagement;
        rng.reseat(user_stream(life.id, day_slot(day as u32)));
        let tenure = f64::from(day - life.signup_day);
        let signup_today = day == life.signup_day;
        if !signup_today {
            let fade = e.long_run_share + (1.0 - e.long_run_share) * (-tenure / e.decay_days).exp();
            if !rng.chance((life.activity * fade * self.traffic).min(0.95)) {
                return Ok(());
            }
        }
        let change = life.change_on(day);
        let mut who = Who {
            user: life.id,
            session: [0; 36],
            before: life.attrs_at(day - 1),
            change_ms: change.map_or(u32::MAX, |c| c.ms),
            after: life.attrs_at(day),
        };
        let sessions = 1 + rng.geometric(e.sessions_per_active_day - 1.0);
        for s in 0..sessions {
            let start = if signup_today {
                let from = life.signup_ms + 1000;
                if s == 0 {
                    from + rng.below(30_000) as u32
                } else {
                    from + rng.below(u64::from(DAY_MS.saturating_sub(from).max(1))) as u32
                }
            } else {
                time_of_day(rng)
            };
            rng.uuid(&mut who.session);
            self.session(&mut who, life, start, rng)?;
        }
        Ok(())
    }

    fn product_state(&self, id: u64, ms: u32) -> ProductState {
        match self.hot.get(id as usize - 1) {
            Some(h) if ms >= h.change_ms => h.after,
            Some(h) => h.before,
            None => self.generator.product(id).state_at(self.day, ms),
        }
    }

    /// A product on sale at `ms`, by popularity.
    fn pick_product(&self, ms: u32, rng: &mut Rand) -> (u64, i64) {
        for _ in 0..4 {
            let id = self.generator.zipf.pick(self.available_products, rng);
            let state = self.product_state(id, ms);
            if state.active {
                return (id, state.price);
            }
        }
        (1, self.product_state(1, ms).price)
    }

    fn session(
        &mut self,
        who: &mut Who,
        life: &UserLife,
        start: u32,
        rng: &mut Rand,
    ) -> Result<()> {
        let f = &self.generator.config.funnel;
        let mut clock = Clock { ms: start };
        let landing = if rng.chance(0.3) {
            Page::Category(rng.below(CATEGORIES.len() as u64) as u8)
        } else {
            Page::Home
        };
        let Some(ms) = clock.next(rng, false) else {
            return Ok(());
        };
        self.emit(who, life, plain(ms, EventType::PageView, landing, rng), rng)?;
        if rng.chance(f.search_rate) {
            let Some(ms) = clock.next(rng, true) else {
                return Ok(());
            };
            let term = rng.below(SEARCH_TERMS.len() as u64) as u8;
            self.emit(
                who,
                life,
                plain(ms, EventType::Search, Page::Search(term), rng),
                rng,
            )?;
        }
        let views = rng.geometric(f.product_views_per_session).min(MAX_VIEWS);
        let mut cart: [(u64, u32, i64); MAX_CART] = [(0, 0, 0); MAX_CART];
        let mut in_cart = 0;
        for _ in 0..views {
            let Some(ms) = clock.next(rng, true) else {
                return Ok(());
            };
            let (product, price) = self.pick_product(ms, rng);
            let mut row = plain(ms, EventType::ProductView, Page::Product(product), rng);
            row.product = product;
            self.emit(who, life, row, rng)?;
            if rng.chance(0.4) {
                let Some(ms) = clock.next(rng, true) else {
                    return Ok(());
                };
                self.emit(
                    who,
                    life,
                    plain(ms, EventType::Click, Page::Reviews(product), rng),
                    rng,
                )?;
            }
            if in_cart < MAX_CART && rng.chance(f.add_to_cart_rate * self.conversion) {
                let Some(ms) = clock.next(rng, true) else {
                    return Ok(());
                };
                let quantity = match rng.below(100) {
                    0..80 => 1,
                    80..95 => 2,
                    _ => 3 + rng.below(3) as u32,
                };
                let mut row = plain(ms, EventType::AddToCart, Page::Product(product), rng);
                (row.product, row.quantity, row.price) = (product, quantity, Some(price));
                self.emit(who, life, row, rng)?;
                cart[in_cart] = (product, quantity, price);
                in_cart += 1;
            }
        }
        if in_cart > 0 && rng.chance(f.remove_from_cart_rate) {
            let Some(ms) = clock.next(rng, true) else {
                return Ok(());
            };
            in_cart -= 1;
            let (product, quantity, price) = cart[in_cart];
            let mut row = plain(ms, EventType::RemoveFromCart, Page::Cart, rng);
            (row.product, row.quantity, row.price) = (product, quantity, Some(price));
            self.emit(who, life, row, rng)?;
        }
        if in_cart == 0 || !rng.chance(f.checkout_rate) {
            return Ok(());
        }
        let Some(ms) = clock.next(rng, true) else {
            return Ok(());
        };
        self.emit(
            who,
            life,
            plain(ms, EventType::BeginCheckout, Page::Checkout, rng),
            rng,
        )?;
        if !rng.chance(f.purchase_rate) {
            return Ok(());
        }
        let Some(ms) = clock.next(rng, true) else {
            return Ok(());
        };
        let mut order = [0u8; 36];
        rng.uuid(&mut order);
        for &(product, quantity, price) in &cart[..in_cart] {
            let mut row = plain(ms, EventType::Purchase, Page::Complete, rng);
            (row.product, row.quantity, row.price, row.order) =
                (product, quantity, Some(price), Some(order));
            self.emit(who, life, row, rng)?;
        }
        Ok(())
    }

    /// Writes a clean row, maybe spoiled by one anomaly, maybe followed by a duplicate or a
    /// late event of its own.
    fn emit(&mut self, who: &Who, life: &UserLife, row: Row, rng: &mut Rand) -> Result<()> {
        let u = rng.f64();
        let kind = self.thresholds.iter().position(|&t| u < t);
        let style = rng.below(4) as u8;
        let anomaly = match kind {
            Some(0) => Anomaly::Duplicate,
            Some(1) => Anomaly::MissingUser,
            Some(2) => Anomaly::Variant(style),
            Some(3) => Anomaly::Unknown(rng.below(UNKNOWN_EVENT_TYPES.len() as u64) as u8),
            Some(4) => Anomaly::OutOfRange(style < 2),
            Some(6) => Anomaly::BadTimestamp(style),
            Some(7) => Anomaly::BadNumber(style),
            Some(8) => Anomaly::FieldCount(style < 2),
            _ if row.event_type == EventType::Purchase
                && rng.chance(self.generator.config.mess.invalid_purchase) =>
            {
                Anomaly::InvalidPurchase(rng.below(5) as u8)
            }
            _ => Anomaly::None,
        };
        let start = self.file.buf.len();
        self.dates.write(&mut self.file.buf, who, &row, anomaly);
        match anomaly {
            Anomaly::None => {}
            Anomaly::Duplicate => {
                let end = self.file.buf.len();
                self.file.buf.extend_from_within(start..end);
                self.file.end_row()?;
            }
            Anomaly::MissingUser => self.counts.add(MessKind::MissingUserId),
            Anomaly::Variant(_) => self.counts.add(MessKind::EventTypeVariant),
            Anomaly::Unknown(_) => self.counts.add(MessKind::UnknownEventType),
            Anomaly::OutOfRange(_) => self.counts.add(MessKind::TimestampOutOfRange),
            Anomaly::BadTimestamp(_) => self.counts.add(MessKind::BadTimestamp),
            Anomaly::BadNumber(_) => self.counts.add(MessKind::BadNumber),
            Anomaly::FieldCount(_) => self.counts.add(MessKind::BadFieldCount),
            Anomaly::InvalidPurchase(_) => self.counts.add(MessKind::InvalidPurchase),
        }
        if anomaly == Anomaly::Duplicate {
            self.counts.add(MessKind::DuplicateEvent);
        }
        self.file.end_row()?;
        if kind == Some(5) {
            self.late_event(who, life, rng)?;
        }
        Ok(())
    }

    /// A visit 1–3 days ago that reached the feed only today: a one-page session of its own,
    /// by a user who had signed up before that day.
    fn late_event(&mut self, who: &Who, life: &UserLife, rng: &mut Rand) -> Result<()> {
        // Back 1–3 days, but only to days after the user's signup day and inside the horizon.
        let reach = (self.day - life.signup_day - 1).min(self.day).min(3);
        if reach < 1 {
            return Ok(());
        }
        let days_back = 1 + rng.below(reach as u64) as u32;
        let then = self.day - days_back as i32;
        let mut late = *who;
        late.before = life.attrs_at(then);
        late.after = late.before;
        rng.uuid(&mut late.session);
        let mut row = plain(time_of_day(rng), EventType::PageView, Page::Home, rng);
        row.days_back = days_back;
        self.dates
            .write(&mut self.file.buf, &late, &row, Anomaly::None);
        self.counts.add(MessKind::LateEvent);
        self.file.end_row()
    }
}

/// The running time of a session; `None` once it would run past midnight.
struct Clock {
    ms: u32,
}

impl Clock {
    fn next(&mut self, rng: &mut Rand, gap: bool) -> Option<u32> {
        if gap {
            self.ms = self.ms.saturating_add(2000 + rng.exp(25_000.0) as u32);
        }
        (self.ms < DAY_MS).then_some(self.ms)
    }
}
