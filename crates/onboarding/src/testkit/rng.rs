//! [`SplitMix64`]: the small seeded generator the testkit draws from (the `seeded` crate's, the
//! same sequence on every platform), with the testkit's probability draw.

pub use seeded::SplitMix64;

/// True with probability `p`.
pub fn chance(rng: &mut SplitMix64, p: f64) -> bool {
    rng.unit() < p
}
