//! Exponential backoff with "equal jitter" drawn from a seeded stream, so retries spread out
//! across callers yet replay exactly from the configured seed.

use std::sync::Mutex;

use crate::seeded::SplitMix64;

#[derive(Debug)]
pub(crate) struct Backoff {
    base_ms: u64,
    rng: Mutex<SplitMix64>,
}

impl Backoff {
    pub(crate) fn new(base_ms: u64, seed: u64) -> Self {
        Self {
            base_ms,
            rng: Mutex::new(SplitMix64::new(seed)),
        }
    }

    /// The wait before retry `retry` (1 for the first retry): with `ceiling = base * 2^(retry-1)`,
    /// a value in `ceiling/2 ..= ceiling`.
    pub(crate) fn delay_ms(&self, retry: u32) -> u64 {
        let ceiling = self.base_ms.saturating_mul(1 << retry.saturating_sub(1).min(16));
        let half = ceiling / 2;
        let mut rng = self.rng.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        (ceiling - half) + rng.below_by_multiply(half + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_within_the_doubling_window_and_replay_from_the_seed() {
        let a = Backoff::new(100, 7);
        let b = Backoff::new(100, 7);
        for retry in 1..=6 {
            let ceiling = 100u64 << (retry - 1);
            let d = a.delay_ms(retry);
            assert!((ceiling / 2..=ceiling).contains(&d), "retry {retry}: {d}");
            assert_eq!(d, b.delay_ms(retry), "same seed, same delays");
        }
        assert_eq!(Backoff::new(0, 1).delay_ms(3), 0);
    }
}
