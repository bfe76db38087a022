//! The demo's source of randomness: SplitMix64, written out here rather than
//! taken from a crate, so that a seed gives the same organisation on every
//! platform and after every dependency upgrade (the `rand` crates reserve
//! the right to change their algorithms between versions). Decisions use
//! integer arithmetic and plain `f64` comparisons only — no `exp` or `ln`,
//! whose last bit may differ between platforms' math libraries.

/// A deterministic stream of pseudo-random numbers.
#[derive(Debug, Clone)]
pub struct Random {
    state: u64,
}

impl Random {
    /// The stream of `seed` for the part of the organisation named `label`
    /// (a repository, the catalog): each part draws from its own stream, so
    /// that adding a repository or generating them in parallel changes no
    /// other part.
    pub fn new(seed: u64, label: &str) -> Self {
        // FNV-1a of the label, mixed into the seed.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in label.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        let mut random = Self { state: seed ^ hash.rotate_left(17) };
        random.next_u64();
        random
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`0` when `bound` is 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        // Multiply-shift: unbiased enough for a simulation, and branch-free.
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        low + self.below((high - low) as u64 + 1) as i64
    }

    /// A number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One of `items` (which must not be empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index into `weights`, each chosen in proportion to its weight.
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut point = self.unit() * total;
        for (index, weight) in weights.iter().enumerate() {
            if point < *weight {
                return index;
            }
            point -= weight;
        }
        weights.len().saturating_sub(1)
    }

    /// Shuffles `items` in place (Fisher-Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// `length` characters from `alphabet`.
    pub fn text(&mut self, alphabet: &[u8], length: usize) -> String {
        (0..length).map(|_| char::from(*self.pick(alphabet))).collect()
    }

    /// A random UUID (version 4 layout), e.g. for a GitHub delivery id.
    pub fn uuid(&mut self) -> String {
        let (high, low) = (self.next_u64(), self.next_u64());
        let high = (high & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
        let low = (low & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            high >> 32,
            (high >> 16) & 0xffff,
            high & 0xffff,
            low >> 48,
            low & 0xffff_ffff_ffff
        )
    }
}

/// Upper-case letters and digits, as PagerDuty ids use them.
pub const PAGERDUTY_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_and_a_label_give_one_stream() {
        let draw = |seed, label| {
            let mut random = Random::new(seed, label);
            (0..4).map(|_| random.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draw(42, "orders-api"), draw(42, "orders-api"));
        assert_ne!(draw(42, "orders-api"), draw(43, "orders-api"));
        assert_ne!(draw(42, "orders-api"), draw(42, "cart-service"));
    }

    #[test]
    fn draws_stay_in_their_ranges() {
        let mut random = Random::new(7, "ranges");
        for _ in 0..1000 {
            assert!(random.below(5) < 5);
            let between = random.between(-3, 3);
            assert!((-3..=3).contains(&between));
            let unit = random.unit();
            assert!((0.0..1.0).contains(&unit));
            assert!(random.weighted(&[0.0, 1.0, 0.0]) == 1);
        }
        assert_eq!(random.uuid().len(), 36);
    }
}
