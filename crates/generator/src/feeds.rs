//! Rows of the user change feed and the product catalogue feed.

use fake::{
    Fake,
    faker::name::en::{FirstName, LastName},
};

use crate::{
    catalog::ProductLife,
    generator::Generator,
    out::{push_date, push_money, push_text, push_time, push_u64},
    population::{Attrs, UserLife},
    rng::{NAME, Rand},
    tables::{CHANNELS, CITIES, DEVICES, EMAIL_DOMAINS, PLANS},
};

/// A user's name, drawn from the user's own name stream (only when a row needs it).
#[derive(Debug, Clone)]
pub struct Name {
    first: &'static str,
    last: &'static str,
}

impl Name {
    /// The name of user `id`.
    pub fn of(generator: &Generator, id: u64) -> Self {
        let mut rng: Rand = generator.streams.user(id, NAME);
        Self {
            first: FirstName().fake_with_rng(rng.inner()),
            last: LastName().fake_with_rng(rng.inner()),
        }
    }
}

/// How a user row is made dirty (fixed by the cleaning rules of docs/conformance.md#cleaning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dirt {
    /// A clean row.
    None,
    /// The email in upper case.
    UpperEmail,
    /// Whitespace around the full name.
    PaddedName,
    /// Whitespace around the city.
    PaddedCity,
    /// The country code in lower case.
    LowerCountry,
}

impl Dirt {
    /// One of the four kinds, from `n`.
    pub fn from_index(n: u64) -> Self {
        match n % 4 {
            0 => Self::UpperEmail,
            1 => Self::PaddedName,
            2 => Self::PaddedCity,
            _ => Self::LowerCountry,
        }
    }
}

/// Appends one `users.csv` record: `attrs` as of `updated` (day index, ms).
pub fn push_user(
    buf: &mut Vec<u8>,
    g: &Generator,
    life: &UserLife,
    attrs: Attrs,
    updated: (i32, u32),
    deleted: bool,
    dirt: Dirt,
) {
    let name = Name::of(g, life.id);
    push_u64(buf, life.id);
    buf.push(b',');
    let start = buf.len();
    let letters = |s: &str, buf: &mut Vec<u8>| {
        buf.extend(
            s.bytes()
                .filter(u8::is_ascii_alphabetic)
                .map(|b| b.to_ascii_lowercase()),
        );
    };
    letters(name.first, buf);
    buf.push(b'.');
    letters(name.last, buf);
    push_u64(buf, life.id);
    if attrs.email_version > 0 {
        buf.push(b'.');
        push_u64(buf, u64::from(attrs.email_version));
    }
    buf.push(b'@');
    let domain = (life.id + u64::from(attrs.email_version)) as usize % EMAIL_DOMAINS.len();
    buf.extend_from_slice(EMAIL_DOMAINS[domain].as_bytes());
    if dirt == Dirt::UpperEmail {
        buf[start..].make_ascii_uppercase();
    }
    buf.push(b',');
    let full_name = format!("{} {}", name.first, name.last);
    if dirt == Dirt::PaddedName {
        push_text(buf, &format!("  {full_name} "));
    } else {
        push_text(buf, &full_name);
    }
    buf.push(b',');
    let (country, city, _) = CITIES[attrs.city as usize];
    if dirt == Dirt::LowerCountry {
        buf.extend_from_slice(country.to_ascii_lowercase().as_bytes());
    } else {
        buf.extend_from_slice(country.as_bytes());
    }
    buf.push(b',');
    if dirt == Dirt::PaddedCity {
        buf.push(b' ');
        buf.extend_from_slice(city.as_bytes());
        buf.push(b' ');
    } else {
        buf.extend_from_slice(city.as_bytes());
    }
    buf.push(b',');
    buf.extend_from_slice(DEVICES[attrs.device as usize].0.as_bytes());
    buf.push(b',');
    buf.extend_from_slice(CHANNELS[life.channel as usize].0.as_bytes());
    buf.push(b',');
    buf.extend_from_slice(PLANS[attrs.plan as usize].0.as_bytes());
    buf.push(b',');
    push_date(buf, g.date_of(life.signup_day));
    buf.push(b',');
    push_date(buf, g.date_of(updated.0));
    push_time(buf, updated.1);
    buf.push(b',');
    buf.extend_from_slice(if deleted { b"true" } else { b"false" });
    buf.push(b'\n');
}

/// Appends one `products.csv` record with the product's state at the end of day index `day`.
pub fn push_product(buf: &mut Vec<u8>, g: &Generator, life: &ProductLife, day: i32) {
    let state = life.state_at(day, u32::MAX);
    let updated = life.last_update(day);
    push_u64(buf, life.id);
    buf.push(b',');
    buf.extend(
        life.category_name()
            .bytes()
            .take(2)
            .map(|b| b.to_ascii_uppercase()),
    );
    buf.push(b'-');
    let digits = life.id.to_string();
    for _ in digits.len()..6 {
        buf.push(b'0');
    }
    buf.extend_from_slice(digits.as_bytes());
    buf.push(b',');
    push_text(buf, &life.name_parts().join(" "));
    buf.push(b',');
    buf.extend_from_slice(life.category_name().as_bytes());
    buf.push(b',');
    push_text(buf, life.brand_name());
    buf.push(b',');
    push_money(buf, state.price);
    buf.push(b',');
    buf.extend_from_slice(if state.active { b"true" } else { b"false" });
    buf.push(b',');
    push_date(buf, g.date_of(updated.0));
    push_time(buf, updated.1);
    buf.push(b'\n');
}
