//! Seeded, stable pseudo-randomness: the SplitMix64 generator and a keyed hash built on it.
//!
//! Both are defined here (not taken from `std` or a crate) so that their output never changes
//! between Rust or dependency versions: the simulator's documented outcomes, the testkit's
//! generated identities and the retry jitter replay exactly from a seed.

/// The SplitMix64 generator (Steele, Lea and Flood, 2014): 64 bits of state, one add and a
/// finalizing mix per output. Not cryptographic; used where a replayable stream is wanted.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.state)
    }

    /// A value in `0..bound` (`bound` > 0), by multiply-shift; the bias is below 2^-32 for the
    /// small bounds used here.
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        debug_assert!(bound > 0, "a range must not be empty");
        ((u128::from(self.next_u64()) * u128::from(bound.max(1))) >> 64) as u64
    }
}

/// SplitMix64's finalizer: a bijective avalanche mix of 64 bits.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stable keyed hash of `parts` under `seed`, separated by `domain` so that the same input
/// hashed for two purposes gives unrelated values. FNV-1a over length-prefixed parts, then mixed
/// with the seed. Not a MAC: it decides simulated outcomes, it protects nothing.
pub(crate) fn keyed_hash(seed: u64, domain: &str, parts: &[&[u8]]) -> u64 {
    const FNV_OFFSET: u64 = 0xCBF2_9CE4_8422_2325;
    const FNV_PRIME: u64 = 0x0000_0100_0000_01B3;
    let mut h = FNV_OFFSET ^ mix64(seed);
    let mut absorb = |bytes: &[u8]| {
        for &b in (bytes.len() as u64).to_le_bytes().iter().chain(bytes) {
            h ^= u64::from(b);
            h = h.wrapping_mul(FNV_PRIME);
        }
    };
    absorb(domain.as_bytes());
    for part in parts {
        absorb(part);
    }
    mix64(h ^ seed.rotate_left(32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference_stream() {
        // First outputs of the reference implementation seeded with 1234567.
        let mut rng = SplitMix64::new(1_234_567);
        let got: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(
            got,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423
            ]
        );
    }

    #[test]
    fn keyed_hash_separates_seed_domain_and_part_boundaries() {
        let base = keyed_hash(1, "d", &[b"ab", b"c"]);
        assert_ne!(base, keyed_hash(2, "d", &[b"ab", b"c"]));
        assert_ne!(base, keyed_hash(1, "e", &[b"ab", b"c"]));
        assert_ne!(base, keyed_hash(1, "d", &[b"a", b"bc"]));
        assert_eq!(base, keyed_hash(1, "d", &[b"ab", b"c"]));
    }
}
