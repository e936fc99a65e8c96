//! The simulated horizon and its calendar effects on traffic and conversion.

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::config::Seasonality;

/// Traffic and conversion multipliers for one calendar day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayFactors {
    /// Multiplies visit probabilities and signups.
    pub traffic: f64,
    /// Multiplies the add-to-cart probability (deal days convert better).
    pub conversion: f64,
}

/// Black Friday of `year`: the day after the fourth Thursday of November.
pub fn black_friday(year: i32) -> NaiveDate {
    let nov1 = NaiveDate::from_ymd_opt(year, 11, 1).unwrap_or_default();
    let to_thursday = (7 + 3 - nov1.weekday().num_days_from_monday()) % 7;
    nov1 + Days::new(u64::from(to_thursday) + 21 + 1)
}

/// The calendar effects on `date`.
pub fn factors(s: &Seasonality, date: NaiveDate) -> DayFactors {
    let mut traffic = 1.0;
    if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
        traffic *= s.weekend_factor;
    }
    let summer_centre = NaiveDate::from_ymd_opt(date.year(), 7, 31).unwrap_or(date);
    let from_centre = (date - summer_centre).num_days() as f64;
    if from_centre.abs() < 50.0 {
        let shape = (std::f64::consts::FRAC_PI_2 * from_centre / 50.0).cos();
        traffic *= 1.0 - s.summer_dip * shape * shape;
    }
    let mut conversion = 1.0;
    let (month, day) = (date.month(), date.day());
    let holiday = match (month, day) {
        (11, d) => f64::from(d - 1) / 49.0,
        (12, d) if d <= 19 => f64::from(d + 29) / 49.0,
        (12, d) if d <= 24 => 1.0,
        (12, _) => 0.3,
        _ => 0.0,
    };
    traffic *= 1.0 + s.holiday_peak * holiday;
    if month == 12 && day <= 20 {
        conversion *= 1.1;
    }
    let bf = black_friday(date.year());
    let after_bf = (date - bf).num_days();
    let spike = s.black_friday - 1.0;
    let deal = match after_bf {
        0 => 1.0 + spike,
        1 | 2 => 1.0 + 0.4 * spike,
        3 => 1.0 + 0.6 * spike,
        _ => 1.0,
    };
    if deal != 1.0 {
        // The weekend after Black Friday is busy, not quiet.
        if matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && s.weekend_factor > 0.0 {
            traffic /= s.weekend_factor;
        }
        traffic *= deal;
        conversion *= 1.3;
    }
    DayFactors {
        traffic,
        conversion,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn black_friday_is_the_day_after_the_fourth_thursday() {
        assert_eq!(
            black_friday(2026),
            NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
        );
        assert_eq!(
            black_friday(2025),
            NaiveDate::from_ymd_opt(2025, 11, 28).unwrap()
        );
        assert_eq!(
            black_friday(2027),
            NaiveDate::from_ymd_opt(2027, 11, 26).unwrap()
        );
    }

    #[test]
    fn black_friday_is_the_busiest_day_and_weekends_are_quieter() {
        let s = Seasonality::default();
        let d = |m, d| factors(&s, NaiveDate::from_ymd_opt(2026, m, d).unwrap()).traffic;
        let bf = d(11, 27);
        let max_other = (1..=365)
            .map(|i| NaiveDate::from_yo_opt(2026, i).unwrap())
            .filter(|&x| x != black_friday(2026))
            .map(|x| factors(&s, x).traffic)
            .fold(0.0, f64::max);
        assert!(bf > max_other, "{bf} <= {max_other}");
        // 2026-03-07 is a Saturday, 2026-03-04 a Wednesday.
        assert!(d(3, 7) < d(3, 4));
        assert!(d(7, 31) < d(3, 4));
        assert!(d(12, 15) > d(3, 4));
    }
}
