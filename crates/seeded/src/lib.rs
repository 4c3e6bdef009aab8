//! Deterministic seeded randomness and a 64-bit mixer for iou: the one copy of SplitMix64
//! ([`SplitMix64`], [`mix64`], [`splitmix64`]) and of XorShift64 ([`XorShift64`]).
//!
//! Owns: pure functions of a seed. Must never know: IO, clocks, OS randomness, threads, or any
//! other iou crate. Secrets, tokens and payment codes are drawn from the OS by the API, never
//! from here.
//!
//! Why a crate of its own, at the bottom of the layering: the engine's partition routing, the
//! risk core's shard hash, the API's idempotency scopes, the simulator, the identity simulators
//! and the test workloads all need the same few lines, and they sit in crates that cannot depend
//! on each other (`risk` and `credit` may not depend on `engine` or `identity`). A dependency-free
//! crate below `money` is the only place every one of them may use.
//!
//! The outputs are part of what the callers persist or pin (an account's partition, a simulator
//! seed's figures, an identity simulator's outcomes), so the algorithms here never change: the
//! tests below pin them against the reference values.

mod xorshift;

pub use xorshift::XorShift64;

/// SplitMix64's increment (the golden ratio in 64 bits).
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's finalizer: a bijective avalanche mix of 64 bits (no increment).
pub const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One SplitMix64 step taken from state `x`: the increment, then [`mix64`]. Equal to the first
/// output of `SplitMix64::new(x)`; a fixed, well-spread hash of a 64-bit key (the engine routes
/// accounts to partitions with it, so it must never change).
pub const fn splitmix64(x: u64) -> u64 {
    mix64(x.wrapping_add(GOLDEN))
}

/// The SplitMix64 generator (Steele, Lea and Flood, 2014): 64 bits of state, one add and a
/// finalizing mix per output. Not cryptographic; used where a replayable stream is wanted.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub const fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix64(self.0)
    }

    /// Uniform in `0..n` by remainder; 0 for `n` = 0, without drawing.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// A value in `0..bound` (`bound` > 0) by multiply-shift: the high half of the 128-bit
    /// product. The bias is below 2^-32 for bounds under 2^32. Always draws once.
    pub fn below_by_multiply(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(bound.max(1))) >> 64) as u64
    }

    /// Uniform in `[0, 1)` (53 bits).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An independent stream for one purpose: a generator seeded by one draw of a generator
    /// whose state is this one's mixed with `stream`. This generator does not move, so adding
    /// draws to one stream does not shift the others.
    pub fn fork(&self, stream: u64) -> SplitMix64 {
        let mut mixer = SplitMix64(self.0 ^ stream.wrapping_mul(0xA24B_AED4_963E_E407));
        SplitMix64(mixer.next_u64())
    }
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
        assert_eq!(SplitMix64::new(42).next_u64(), 0xBDD7_3226_2FEB_6E95);
    }

    #[test]
    fn the_one_shot_hash_is_the_first_output() {
        for x in [0, 1, 42, u64::MAX, GOLDEN] {
            assert_eq!(splitmix64(x), SplitMix64::new(x).next_u64());
        }
        // Pinned: the engine's partition of account 42 out of 64 depends on it.
        assert_eq!(splitmix64(42) % 64, 21);
    }

    #[test]
    fn below_is_in_range_and_zero_draws_nothing() {
        let mut rng = SplitMix64::new(7);
        let before = rng.clone().next_u64();
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.clone().next_u64(), before);
        for _ in 0..1_000 {
            assert!(rng.below(10) < 10);
            assert!(rng.below_by_multiply(10) < 10);
            let u = rng.unit();
            assert!((0.0..1.0).contains(&u));
        }
    }

    #[test]
    fn forks_do_not_move_the_parent_and_differ_by_stream() {
        let rng = SplitMix64::new(9);
        let a = rng.fork(1).next_u64();
        let b = rng.fork(2).next_u64();
        assert_ne!(a, b);
        assert_eq!(rng.fork(1).next_u64(), a);
    }
}
