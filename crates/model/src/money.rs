use std::{error::Error as StdError, fmt, str::FromStr};

use bytes::{BufMut, BytesMut};
use postgres_types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use serde::{Deserialize, Serialize};

/// Money as integer cents: SQL `numeric(12,2)`, the one money representation of the project.
///
/// Parsing is strict: at most two decimals and at most ten integer digits, so every value
/// fits `numeric(12,2)` and the server never refuses one mid-COPY. Reads and writes
/// PostgreSQL `NUMERIC` in binary.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(i64);

/// Largest magnitude `numeric(12,2)` holds, in cents.
const MAX_CENTS: i64 = 999_999_999_999;

/// Why a text is not a valid amount of money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// Empty text.
    #[error("empty amount")]
    Empty,
    /// Not a decimal number.
    #[error("{0:?} is not a decimal number")]
    NotANumber(String),
    /// More than two decimals.
    #[error("{0:?} has more than two decimals")]
    TooPrecise(String),
    /// Does not fit numeric(12,2).
    #[error("{0:?} does not fit numeric(12,2)")]
    OutOfRange(String),
}

impl Money {
    /// Zero.
    pub const ZERO: Money = Money(0);

    /// From cents; `None` when outside `numeric(12,2)`.
    pub const fn from_cents(cents: i64) -> Option<Self> {
        if cents > MAX_CENTS || cents < -MAX_CENTS {
            None
        } else {
            Some(Money(cents))
        }
    }

    /// The amount in cents.
    pub const fn cents(self) -> i64 {
        self.0
    }

    /// `self × n`, `None` on overflow of numeric(12,2).
    pub fn checked_mul(self, n: i64) -> Option<Self> {
        self.0.checked_mul(n).and_then(Self::from_cents)
    }

    /// `self + other`, `None` on overflow of numeric(12,2).
    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).and_then(Self::from_cents)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, MoneyError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (neg, body) = match t.as_bytes()[0] {
            b'-' => (true, &t[1..]),
            b'+' => (false, &t[1..]),
            _ => (false, t),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if (int.is_empty() && frac.is_empty())
            || !digits(int)
            || !digits(frac)
            || (body.ends_with('.') && int.is_empty())
        {
            return Err(MoneyError::NotANumber(s.to_owned()));
        }
        if frac.len() > 2 {
            return Err(MoneyError::TooPrecise(s.to_owned()));
        }
        let int = int.trim_start_matches('0');
        if int.len() > 10 {
            return Err(MoneyError::OutOfRange(s.to_owned()));
        }
        let whole: i64 = if int.is_empty() {
            0
        } else {
            int.parse()
                .map_err(|_| MoneyError::NotANumber(s.to_owned()))?
        };
        let cents_part: i64 = match frac.len() {
            0 => 0,
            1 => i64::from(frac.as_bytes()[0] - b'0') * 10,
            _ => frac
                .parse()
                .map_err(|_| MoneyError::NotANumber(s.to_owned()))?,
        };
        let cents = whole * 100 + cents_part;
        Money::from_cents(if neg { -cents } else { cents })
            .ok_or_else(|| MoneyError::OutOfRange(s.to_owned()))
    }
}

const NUMERIC_POS: u16 = 0x0000;
const NUMERIC_NEG: u16 = 0x4000;

impl ToSql for Money {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        encode_numeric(self.0, out);
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }

    to_sql_checked!();
}

/// Writes cents as a binary `NUMERIC` with scale 2 (base-10000 digits, as the server stores it).
pub(crate) fn encode_numeric(cents: i64, out: &mut BytesMut) {
    let abs = cents.unsigned_abs();
    let int = abs / 100;
    let frac = (abs % 100) as i16 * 100;
    let mut groups: Vec<i16> = Vec::with_capacity(5);
    let mut n = int;
    while n > 0 {
        groups.push((n % 10_000) as i16);
        n /= 10_000;
    }
    groups.reverse();
    let mut weight = groups.len() as i16 - 1;
    groups.push(frac);
    while groups.last() == Some(&0) {
        groups.pop();
    }
    while groups.first() == Some(&0) {
        groups.remove(0);
        weight -= 1;
    }
    if groups.is_empty() {
        weight = 0;
    }
    out.put_i16(groups.len() as i16);
    out.put_i16(weight);
    out.put_u16(if cents < 0 { NUMERIC_NEG } else { NUMERIC_POS });
    out.put_u16(2);
    for g in groups {
        out.put_i16(g);
    }
}

impl<'a> FromSql<'a> for Money {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn StdError + Sync + Send>> {
        if raw.len() < 8 {
            return Err("numeric value too short".into());
        }
        let rd = |i: usize| i16::from_be_bytes([raw[i], raw[i + 1]]);
        let ndigits = rd(0) as usize;
        let weight = i32::from(rd(2));
        let sign = u16::from_be_bytes([raw[4], raw[5]]);
        if raw.len() < 8 + 2 * ndigits {
            return Err("numeric value truncated".into());
        }
        if sign != NUMERIC_POS && sign != NUMERIC_NEG {
            return Err("NaN or infinite numeric is not money".into());
        }
        // value = Σ d_i · 10000^(weight − i); in cents: × 100.
        let mut cents: i128 = 0;
        for i in 0..ndigits {
            let d = i128::from(rd(8 + 2 * i));
            let exp = weight - i as i32;
            if exp >= 0 {
                cents += d * 10_000i128.pow(exp as u32) * 100;
            } else if exp == -1 {
                if d % 100 != 0 {
                    return Err("numeric has more than two decimals".into());
                }
                cents += d / 100;
            } else if d != 0 {
                return Err("numeric has more than two decimals".into());
            }
        }
        if sign == NUMERIC_NEG {
            cents = -cents;
        }
        let cents = i64::try_from(cents).map_err(|_| "numeric too large for money")?;
        Ok(Money(cents))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Result<Money, MoneyError> {
        s.parse()
    }

    #[test]
    fn parses_strictly() {
        assert_eq!(m("12.34").map(Money::cents), Ok(1234));
        assert_eq!(m(" 7 ").map(Money::cents), Ok(700));
        assert_eq!(m("0.5").map(Money::cents), Ok(50));
        assert_eq!(m("-3.01").map(Money::cents), Ok(-301));
        assert_eq!(m(".25").map(Money::cents), Ok(25));
        assert_eq!(m("9999999999.99").map(Money::cents), Ok(MAX_CENTS));
        assert!(matches!(m("1.234"), Err(MoneyError::TooPrecise(_))));
        assert!(matches!(m("10000000000"), Err(MoneyError::OutOfRange(_))));
        assert!(matches!(m("abc"), Err(MoneyError::NotANumber(_))));
        assert!(matches!(m("1e3"), Err(MoneyError::NotANumber(_))));
        assert!(matches!(m("."), Err(MoneyError::NotANumber(_))));
        assert!(matches!(m(""), Err(MoneyError::Empty)));
    }

    #[test]
    fn displays_two_decimals() {
        assert_eq!(Money(1234).to_string(), "12.34");
        assert_eq!(Money(-5).to_string(), "-0.05");
        assert_eq!(Money(0).to_string(), "0.00");
    }

    #[test]
    fn numeric_binary_round_trips() {
        for cents in [
            0,
            1,
            99,
            100,
            1234,
            1_000_000,
            12_345_678_901,
            -42,
            MAX_CENTS,
            -MAX_CENTS,
        ] {
            let mut buf = BytesMut::new();
            encode_numeric(cents, &mut buf);
            let back = Money::from_sql(&Type::NUMERIC, &buf).map(Money::cents);
            assert_eq!(back.ok(), Some(cents), "cents {cents}");
        }
    }
}
