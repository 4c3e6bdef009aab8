//! [`ReplayCache`]: the signatures of merchant reads seen inside the timestamp window.
//!
//! A signature names one exact request (method, target, timestamp, idempotency key, body), so a
//! signature seen twice is the same request sent twice: a read seen twice is refused
//! (`signature_replayed`). POST signatures are not recorded (`auth`): a resent POST is an
//! idempotent retry, answered by its signed key's stored reply.
//!
//! Memory is bounded by the window: entries live in buckets of [`WINDOW_SECONDS`] by their
//! timestamp, and a bucket is dropped once every timestamp in it is outside the window. At most
//! [`ReplayCache::CAP`] signatures are remembered (a burst beyond it is not remembered; the
//! signed idempotency key still stops a second effect, see API.md). Not persisted: after a
//! restart the cache is empty, and a replay inside the window is caught by idempotency because
//! the key is signed (the key's claim is rebuilt from the journal and the meta table).

use std::collections::HashSet;
use std::hash::BuildHasherDefault;
use std::sync::Mutex;

use super::signature::WINDOW_SECONDS;

/// A hasher for keys that are already uniformly random (a signature's bytes).
#[derive(Default)]
struct Identity(u64);

impl std::hash::Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Set = HashSet<u64, BuildHasherDefault<Identity>>;

const SHARDS: usize = 32;

#[derive(Default)]
struct Shard {
    /// `(bucket, fingerprints)`: the bucket is `timestamp.div_euclid(WINDOW_SECONDS)`.
    buckets: Vec<(i64, Set)>,
    len: usize,
}

/// The signatures seen inside the window.
pub struct ReplayCache {
    shards: Box<[Mutex<Shard>]>,
}

impl std::fmt::Debug for ReplayCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayCache").finish_non_exhaustive()
    }
}

impl Default for ReplayCache {
    fn default() -> ReplayCache {
        ReplayCache {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
        }
    }
}

impl ReplayCache {
    /// The most signatures remembered at once.
    pub const CAP: usize = 8 << 20;

    /// Records a verified signature; true if it was seen before (inside the window).
    pub fn seen_before(&self, merchant: u64, signature: &[u8; 32], timestamp_s: i64, now_s: i64) -> bool {
        let mut first = [0u8; 8];
        first.copy_from_slice(&signature[..8]);
        // The signature is an HMAC: its bytes are uniform; the merchant keeps two merchants'
        // equal prefixes apart.
        let fingerprint = u64::from_le_bytes(first) ^ merchant.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let index = (fingerprint >> 59) as usize % SHARDS;
        let mut shard = self.shards[index].lock().unwrap_or_else(|p| p.into_inner());
        shard.expire(now_s);
        let bucket = timestamp_s.div_euclid(WINDOW_SECONDS);
        if shard.buckets.iter().any(|(_, set)| set.contains(&fingerprint)) {
            return true;
        }
        if shard.len >= Self::CAP / SHARDS {
            return false;
        }
        shard.len += 1;
        match shard.buckets.iter_mut().find(|(b, _)| *b == bucket) {
            Some((_, set)) => {
                set.insert(fingerprint);
            }
            None => {
                let mut set = Set::default();
                set.insert(fingerprint);
                shard.buckets.push((bucket, set));
            }
        }
        false
    }

    /// Signatures remembered now.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|p| p.into_inner()).len)
            .sum()
    }
}

impl Shard {
    /// Drops the buckets whose every timestamp is more than the window before `now_s`.
    fn expire(&mut self, now_s: i64) {
        let mut dropped = 0;
        self.buckets.retain(|(bucket, set)| {
            let newest = (bucket + 1) * WINDOW_SECONDS - 1;
            let keep = now_s - newest <= WINDOW_SECONDS;
            if !keep {
                dropped += set.len();
            }
            keep
        });
        self.len -= dropped;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sig(n: u8) -> [u8; 32] {
        [n; 32]
    }

    #[test]
    fn a_signature_is_seen_once_per_merchant() {
        let cache = ReplayCache::default();
        assert!(!cache.seen_before(1, &sig(1), 1_000, 1_000));
        assert!(cache.seen_before(1, &sig(1), 1_000, 1_010));
        assert!(!cache.seen_before(2, &sig(1), 1_000, 1_010));
        assert!(!cache.seen_before(1, &sig(2), 1_000, 1_010));
    }

    #[test]
    fn signatures_outside_the_window_are_forgotten() {
        let cache = ReplayCache::default();
        for n in 0..10 {
            assert!(!cache.seen_before(1, &sig(n), 1_000, 1_000));
        }
        assert_eq!(cache.len(), 10);
        // Every timestamp of 1,000's bucket (900..=1,199) is out of the window at 1,500.
        assert!(!cache.seen_before(1, &sig(99), 1_500, 1_500));
        assert!(cache.len() <= 11);
        for shard in cache.shards.iter() {
            shard.lock().unwrap().expire(1_500);
        }
        assert_eq!(cache.len(), 1);
        // Still inside the window: remembered.
        assert!(cache.seen_before(1, &sig(99), 1_500, 1_790));
    }
}
