//! Per-entity random streams. Each domain (users, products, days) has its own ChaCha8 key
//! derived from the seed; an entity and a slot (its profile, its name, one day of its life)
//! select a stream, so any day of any entity can be drawn without drawing anything else.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

/// Stream slot of an entity's lifelong profile.
pub const PROFILE: u64 = 0;
/// Stream slot of a user's name (drawn only when a user row is written).
pub const NAME: u64 = 1;
/// Bits that hold the slot in a stream id; slots above the first two are days.
const SLOT_BITS: u32 = 12;

/// The keys of the three domains for one seed.
#[derive(Debug, Clone)]
pub struct Streams {
    user: [u8; 32],
    product: [u8; 32],
    day: [u8; 32],
}

impl Streams {
    /// Derives the domain keys from the seed.
    pub fn new(seed: u64) -> Self {
        let key = |domain: &str| -> [u8; 32] {
            Sha256::digest(format!("retention-generator/{domain}/{seed}")).into()
        };
        Self {
            user: key("user"),
            product: key("product"),
            day: key("day"),
        }
    }

    /// The stream of user `id` in `slot`.
    pub fn user(&self, id: u64, slot: u64) -> Rand {
        Rand::new(&self.user, user_stream(id, slot))
    }

    /// The stream of product `id` in `slot`.
    pub fn product(&self, id: u64, slot: u64) -> Rand {
        Rand::new(&self.product, (id << SLOT_BITS) | slot)
    }

    /// The stream of day-level draws (signup counts, new products) for day index `day`.
    pub fn day(&self, day: u32, slot: u64) -> Rand {
        Rand::new(&self.day, (u64::from(day) << SLOT_BITS) | slot)
    }
}

/// The stream id of user `id` in `slot` (within the user domain's key).
pub fn user_stream(id: u64, slot: u64) -> u64 {
    (id << SLOT_BITS) | slot
}

/// The slot of day index `day`.
pub fn day_slot(day: u32) -> u64 {
    2 + u64::from(day)
}

/// Random draws built on 64 random bits at a time.
pub trait Draw {
    /// 64 random bits.
    fn bits(&mut self) -> u64;

    /// Uniform in [0, 1).
    #[inline]
    fn f64(&mut self) -> f64 {
        (self.bits() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (`n` > 0), by multiply-shift.
    #[inline]
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.bits()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `p`.
    #[inline]
    fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Exponentially distributed with the given mean.
    #[inline]
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.f64()).ln()
    }
}

impl Draw for Rand {
    #[inline]
    fn bits(&mut self) -> u64 {
        self.0.next_u64()
    }
}

/// Slot of the shared core streams (one per block of users); above every other slot.
const CORE_SLOT: u64 = (1 << SLOT_BITS) - 1;
/// Users per core stream.
const CORE_BLOCK: u64 = 64;
/// 64-bit words of core randomness per user (`UserLife::draw_core` takes at most ten).
pub const CORE_WORDS: usize = 12;

/// A user's core randomness: a fixed slice of [`CORE_WORDS`] 64-bit words of a ChaCha8 stream
/// keyed by seed and block of 64 users, so that walking the population in id order costs
/// one ChaCha block per user instead of a fresh stream per user. Draws past the slice wrap
/// around (the core never needs that many).
#[derive(Debug, Clone)]
pub struct Words {
    words: [u64; CORE_WORDS],
    next: usize,
}

impl Draw for Words {
    #[inline]
    fn bits(&mut self) -> u64 {
        let w = self.words[self.next % CORE_WORDS];
        self.next += 1;
        w
    }
}

/// Reads users' core slices, cheaply when users come in id order.
#[derive(Debug, Clone)]
pub struct CoreReader {
    rng: Rand,
    /// The user whose slice the stream is positioned at, if any.
    at: Option<u64>,
}

impl CoreReader {
    /// A reader over the user domain of `streams`.
    pub fn new(streams: &Streams) -> Self {
        Self {
            rng: streams.user(0, CORE_SLOT),
            at: None,
        }
    }

    /// The core slice of user `id` (ids start at 1).
    pub fn words(&mut self, id: u64) -> Words {
        let index = id.saturating_sub(1);
        if self.at != Some(id) || index % CORE_BLOCK == 0 {
            let block = index / CORE_BLOCK;
            let word = u128::from(index % CORE_BLOCK) * 2 * CORE_WORDS as u128;
            self.rng.seek(user_stream(block, CORE_SLOT), word);
        }
        let mut words = [0u64; CORE_WORDS];
        for w in &mut words {
            *w = self.rng.u64();
        }
        self.at = Some(id + 1);
        Words { words, next: 0 }
    }
}

/// A ChaCha8 stream with the few draws the simulation needs.
#[derive(Debug, Clone)]
pub struct Rand(ChaCha8Rng);

impl Rand {
    fn new(key: &[u8; 32], stream: u64) -> Self {
        let mut rng = ChaCha8Rng::from_seed(*key);
        rng.set_stream(stream);
        Self(rng)
    }

    /// Moves to the start of another stream of the same key: the same numbers as a fresh
    /// generator for that stream, without building one (a hot loop does this per user).
    #[inline]
    pub fn reseat(&mut self, stream: u64) {
        self.0.set_stream(stream);
        self.0.set_word_pos(0);
    }

    /// The underlying generator, for `fake`.
    pub fn inner(&mut self) -> &mut ChaCha8Rng {
        &mut self.0
    }

    /// 64 random bits.
    #[inline]
    pub fn u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Moves to word `word` of stream `stream` of the same key.
    #[inline]
    pub fn seek(&mut self, stream: u64, word: u128) {
        self.0.set_stream(stream);
        self.0.set_word_pos(word);
    }

    /// Geometric count of extra trials with the given mean (0, 1, 2, …).
    pub fn geometric(&mut self, mean: f64) -> u32 {
        if mean <= 0.0 {
            return 0;
        }
        let p = 1.0 / (1.0 + mean);
        let u = 1.0 - self.f64();
        (u.ln() / (1.0 - p).ln()).floor().min(1000.0) as u32
    }

    /// A count around `mean`: Poisson-like spread (normal approximation, stochastic rounding).
    pub fn count(&mut self, mean: f64) -> u64 {
        if mean <= 0.0 {
            return 0;
        }
        let (a, b) = (self.f64(), self.f64());
        let normal = (-2.0 * (1.0 - a).ln()).sqrt() * (std::f64::consts::TAU * b).cos();
        let x = mean + normal * mean.sqrt() + self.f64();
        x.max(0.0).floor() as u64
    }

    /// A random (version 4) UUID written as 36 ASCII bytes.
    #[inline]
    pub fn uuid(&mut self, out: &mut [u8; 36]) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let hi = (self.0.next_u64() & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
        let lo = (self.0.next_u64() & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
        let bytes = (u128::from(hi) << 64) | u128::from(lo);
        let mut pos = 0;
        for i in 0..32 {
            if matches!(i, 8 | 12 | 16 | 20) {
                out[pos] = b'-';
                pos += 1;
            }
            out[pos] = HEX[((bytes >> (124 - 4 * i)) & 0xf) as usize];
            pos += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reseated_stream_draws_what_a_fresh_one_draws() {
        let streams = Streams::new(42);
        let mut reused = streams.user(1, PROFILE);
        for _ in 0..7 {
            reused.u64();
        }
        for id in [2u64, 99, 1 << 30] {
            reused.reseat(user_stream(id, NAME));
            let mut fresh = streams.user(id, NAME);
            let a: Vec<u64> = (0..40).map(|_| reused.u64()).collect();
            let b: Vec<u64> = (0..40).map(|_| fresh.u64()).collect();
            assert_eq!(a, b);
        }
    }

    #[test]
    fn a_core_slice_is_the_same_read_in_order_or_alone() {
        let streams = Streams::new(42);
        let mut walk = CoreReader::new(&streams);
        let in_order: Vec<[u64; CORE_WORDS]> = (1..=200).map(|id| walk.words(id).words).collect();
        for id in [1u64, 2, 63, 64, 65, 128, 129, 200] {
            let alone = CoreReader::new(&streams).words(id).words;
            assert_eq!(alone, in_order[id as usize - 1], "user {id}");
        }
        assert_ne!(in_order[0], in_order[1]);
        assert_ne!(in_order[63], in_order[64]);
    }

    #[test]
    fn streams_differ_by_seed_entity_and_slot() {
        let first = |s: &Streams, id, slot| s.user(id, slot).u64();
        let (a, b) = (Streams::new(1), Streams::new(2));
        assert_ne!(first(&a, 1, 0), first(&b, 1, 0));
        assert_ne!(first(&a, 1, 0), first(&a, 2, 0));
        assert_ne!(first(&a, 1, 0), first(&a, 1, 1));
        assert_ne!(first(&a, 1, 0), a.product(1, 0).u64());
    }

    #[test]
    fn uuids_are_version_4_and_well_formed() {
        let mut rng = Streams::new(42).day(0, 0);
        let mut out = [0u8; 36];
        rng.uuid(&mut out);
        let text = std::str::from_utf8(&out).unwrap();
        let parts: Vec<&str> = text.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
        assert!(text.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()));
    }
}
