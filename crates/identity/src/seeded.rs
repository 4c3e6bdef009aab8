//! Seeded, stable pseudo-randomness: the SplitMix64 generator (from the `seeded` crate) and a
//! keyed hash built on its mixer.
//!
//! Both are defined in iou (not taken from `std` or a third-party crate) so that their output never changes
//! between Rust or dependency versions: the simulator's documented outcomes, the testkit's
//! generated identities and the retry jitter replay exactly from a seed.

pub(crate) use seeded::{SplitMix64, mix64};

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
    fn keyed_hash_separates_seed_domain_and_part_boundaries() {
        let base = keyed_hash(1, "d", &[b"ab", b"c"]);
        assert_ne!(base, keyed_hash(2, "d", &[b"ab", b"c"]));
        assert_ne!(base, keyed_hash(1, "e", &[b"ab", b"c"]));
        assert_ne!(base, keyed_hash(1, "d", &[b"a", b"bc"]));
        assert_eq!(base, keyed_hash(1, "d", &[b"ab", b"c"]));
    }
}
