//! Small weighted tables for the attributes `fake` gets wrong (its cities do not match
//! countries) or that must stay stable across `fake` releases.

/// Cities with their ISO country code; weights roughly follow a European/US web shop.
pub const CITIES: [(&str, &str, u32); 24] = [
    ("US", "New York", 9),
    ("US", "Los Angeles", 6),
    ("US", "Chicago", 4),
    ("US", "Houston", 3),
    ("GB", "London", 8),
    ("GB", "Manchester", 3),
    ("DE", "Berlin", 6),
    ("DE", "Munich", 4),
    ("DE", "Hamburg", 3),
    ("FR", "Paris", 6),
    ("FR", "Lyon", 2),
    ("ES", "Madrid", 4),
    ("ES", "Barcelona", 3),
    ("IT", "Milan", 3),
    ("IT", "Rome", 3),
    ("NL", "Amsterdam", 3),
    ("SE", "Stockholm", 2),
    ("PL", "Warsaw", 2),
    ("CA", "Toronto", 3),
    ("CA", "Vancouver", 2),
    ("AU", "Sydney", 2),
    ("BR", "Sao Paulo", 2),
    ("JP", "Tokyo", 2),
    ("IN", "Bangalore", 2),
];

/// Devices and their shares.
pub const DEVICES: [(&str, u32); 3] = [("mobile", 55), ("desktop", 35), ("tablet", 10)];

/// Acquisition channels, their shares, and how engaged and loyal their users are.
pub const CHANNELS: [(&str, u32, f64); 6] = [
    ("organic", 35, 1.15),
    ("paid_search", 25, 0.9),
    ("social", 15, 0.75),
    ("referral", 10, 1.25),
    ("email", 10, 1.1),
    ("affiliate", 5, 0.8),
];

/// Plans, their shares at signup, and how engaged and loyal their users are.
pub const PLANS: [(&str, u32, f64); 3] =
    [("free", 80, 0.9), ("basic", 15, 1.2), ("premium", 5, 1.5)];

/// Product categories with a typical price (cents) and their brands.
pub const CATEGORIES: [(&str, i64, [&str; 4]); 8] = [
    ("electronics", 8900, ["Voltra", "Nexon", "Pixelo", "Ampere"]),
    (
        "books",
        1600,
        ["Inkwell", "Pagecraft", "Folio", "Quillmark"],
    ),
    ("home", 3400, ["Hearth", "Nestly", "Oakline", "Lumen"]),
    (
        "fashion",
        4200,
        ["Threadly", "Cordova", "Velvet & Co", "Northwind"],
    ),
    ("beauty", 2200, ["Glowlab", "Purea", "Bloom", "Satin"]),
    ("sports", 5200, ["Stride", "Peakform", "Velo", "Aquila"]),
    ("toys", 2600, ["Tinker", "Blocko", "Wonderly", "Kite"]),
    (
        "grocery",
        900,
        ["Harvest", "Greenleaf", "Mill & Co", "Orchard"],
    ),
];

/// Adjectives and nouns for product names.
pub const ADJECTIVES: [&str; 12] = [
    "Classic",
    "Compact",
    "Deluxe",
    "Essential",
    "Eco",
    "Pro",
    "Ultra",
    "Smart",
    "Vintage",
    "Light",
    "Premium",
    "Everyday",
];
/// Nouns for product names.
pub const NOUNS: [&str; 12] = [
    "Kit",
    "Set",
    "Pack",
    "Edition",
    "Bundle",
    "Collection",
    "Series",
    "Box",
    "Model",
    "Line",
    "Selection",
    "Range",
];

/// Search terms (no characters that need CSV quoting).
pub const SEARCH_TERMS: [&str; 12] = [
    "shoes",
    "headphones",
    "gift",
    "sale",
    "coffee",
    "lamp",
    "jacket",
    "novel",
    "yoga+mat",
    "lego",
    "phone+case",
    "serum",
];

/// Email domains.
pub const EMAIL_DOMAINS: [&str; 6] = [
    "example.com",
    "mail.example.org",
    "inbox.example.net",
    "post.example.com",
    "webmail.example.org",
    "example.co.uk",
];

/// Relative traffic per UTC hour of the day.
pub const HOURLY: [u32; 24] = [
    2, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 9, 9, 8, 8, 8, 9, 11, 13, 13, 11, 7, 4,
];

/// Event types that are none of the canonical eight.
pub const UNKNOWN_EVENT_TYPES: [&str; 5] = ["scroll", "hover", "video_play", "share", "refund"];

/// Running totals of a weight column, computed at compile time.
pub struct Cumulative<const N: usize>([u32; N]);

impl<const N: usize> Cumulative<N> {
    /// Running totals of `weights`.
    pub const fn new(weights: [u32; N]) -> Self {
        let mut out = [0u32; N];
        let mut total = 0;
        let mut i = 0;
        while i < N {
            total += weights[i];
            out[i] = total;
            i += 1;
        }
        Self(out)
    }

    /// An index drawn by weight, from 64 random bits.
    #[inline]
    pub fn pick(&self, bits: u64) -> usize {
        let total = u64::from(self.0[N - 1]);
        let target = (((bits >> 32) * total) >> 32) as u32;
        self.0.iter().position(|&c| target < c).unwrap_or(N - 1)
    }
}

/// The weight column `$field` of a table, as an array (at compile time).
macro_rules! column {
    ($table:ident . $field:tt) => {{
        let mut out = [0u32; $table.len()];
        let mut i = 0;
        while i < out.len() {
            out[i] = $table[i].$field;
            i += 1;
        }
        out
    }};
}

/// [`CITIES`] by weight.
pub const CITY_PICK: Cumulative<24> = Cumulative::new(column!(CITIES.2));
/// [`DEVICES`] by weight.
pub const DEVICE_PICK: Cumulative<3> = Cumulative::new(column!(DEVICES.1));
/// [`CHANNELS`] by weight.
pub const CHANNEL_PICK: Cumulative<6> = Cumulative::new(column!(CHANNELS.1));
/// [`PLANS`] by weight.
pub const PLAN_PICK: Cumulative<3> = Cumulative::new(column!(PLANS.1));
/// [`HOURLY`] by weight.
pub const HOUR_PICK: Cumulative<24> = Cumulative::new(HOURLY);
