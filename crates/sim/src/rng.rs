//! [`Rng`]: SplitMix64 (the `seeded` crate's), the simulator's only source of randomness, with
//! the draws the simulator needs. Its output never changes across platforms or library
//! versions, so a seed replays exactly.

use money::Amount;
use seeded::SplitMix64;

#[derive(Clone, Debug)]
pub struct Rng(SplitMix64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(SplitMix64::new(seed))
    }

    /// An independent stream for one purpose (population, workload, attacks), so adding draws
    /// to one stream does not shift the others.
    pub fn fork(&self, stream: u64) -> Rng {
        Rng(self.0.fork(stream))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0.below(n)
    }

    /// Uniform in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high.saturating_sub(low) + 1)
    }

    /// An index into a slice of `len` elements (`len` must be positive).
    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// True with probability `per_mille` / 1000.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    /// An index drawn with the given integer weights (the last index if all are zero).
    pub fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut pick = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if pick < *w {
                return i;
            }
            pick -= w;
        }
        weights.len().saturating_sub(1)
    }

    /// An amount between `low` and `high` yuan: an octave (a doubling) is drawn with weights
    /// falling linearly from the lowest to the highest, then a point uniformly within it, so
    /// small amounts are common and large ones rare; rounded to whole yuan most of the time
    /// and to the fen otherwise.
    pub fn amount_yuan(&mut self, low: u64, high: u64) -> Amount {
        let (low, high) = (low.max(1), high.max(low.max(1)));
        let octaves = u64::from((high / low).max(1).ilog2()) + 1;
        let weights: Vec<u64> = (0..octaves).map(|k| octaves - k).collect();
        let octave = self.weighted(&weights) as u64;
        let bottom = (low << octave).min(high);
        let top = (bottom * 2).min(high);
        let yuan = self.between(bottom, top);
        let fen = if self.chance(300) { self.below(100) } else { 0 };
        Amount::from_fen(i64::try_from(yuan * 100 + fen).unwrap_or(i64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_is_pinned() {
        // A change here changes every simulated population: bump it only on purpose.
        let mut rng = Rng::new(42);
        assert_eq!(rng.next_u64(), 0xBDD7_3226_2FEB_6E95);
    }

    #[test]
    fn amounts_stay_in_range_and_weights_are_respected() {
        let mut rng = Rng::new(7);
        for _ in 0..10_000 {
            let a = rng.amount_yuan(5, 3_000).fen();
            assert!((500..=300_099).contains(&a), "{a}");
        }
        let mut counts = [0u32; 3];
        for _ in 0..30_000 {
            counts[rng.weighted(&[1, 0, 2])] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!(counts[2] > counts[0] * 3 / 2, "{counts:?}");
    }
}
