//! [`KeyClaims`]: the system-wide idempotency claims, `(principal, key) -> (request, at)`.
//!
//! A partition's [`crate::IdempotencyIndex`] knows only the keys of its own accounts, so the
//! same key reused for another request on an account of another partition was applied. The
//! engine therefore claims a key here, in [`crate::Engine::submit`], before any partition sees
//! the request: another request under a claimed key is a conflict at once; the same request
//! goes on to its partition, whose index answers with the stored reply (or dedups the one in
//! flight). A claim whose request was never queued (busy, stopped) is released: nothing was
//! recorded. The API claims keys of calls that never reach a partition here too, so a key
//! cannot be spent once on a partition route and again on another route.
//!
//! Not persisted: at start it is rebuilt from every partition's recovered index (and the API
//! adds the claims it keeps in the meta table). Claims are kept [`KeyClaims::TTL_US`] (24 hours,
//! like the partition indexes) and at most [`KeyClaims::CAP_PER_PARTITION`] per partition,
//! oldest first. Sharded behind mutexes: a claim is one lock of one shard and one insert.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use rustc_hash::FxHashMap;

use crate::idempotency::Idempotency;
use crate::idempotency::IdempotencyIndex;

const SHARDS: usize = 64;

/// What a claim found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The key was free and is now claimed for this request.
    New,
    /// The key is claimed for this same request (a retry).
    Same,
    /// The key is claimed for another request.
    Conflict,
}

type Id = (u64, u128);

/// A claim: the request's hash, when, and whether a retry was let through on it since (then it
/// is never released: the retry may be in a partition's queue).
#[derive(Clone, Copy)]
struct Claimed {
    request: u128,
    at_us: i64,
    shared: bool,
}

#[derive(Default)]
struct Shard {
    map: FxHashMap<Id, Claimed>,
    order: VecDeque<(Id, i64)>,
}

/// The claims of every key the engine and the API have seen in the last day.
pub struct KeyClaims {
    shards: Box<[Mutex<Shard>]>,
    cap_per_shard: usize,
}

impl std::fmt::Debug for KeyClaims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyClaims").field("len", &self.len()).finish()
    }
}

impl KeyClaims {
    pub const TTL_US: i64 = IdempotencyIndex::TTL_US;
    pub const CAP_PER_PARTITION: usize = IdempotencyIndex::CAP;

    /// Claims for `partitions` partitions (the bound grows with them, as the indexes' does).
    pub fn new(partitions: u32) -> KeyClaims {
        let cap = Self::CAP_PER_PARTITION.saturating_mul(partitions.max(1) as usize);
        KeyClaims {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            cap_per_shard: cap.div_ceil(SHARDS),
        }
    }

    fn shard(&self, id: &Id) -> MutexGuard<'_, Shard> {
        // The key is already a hash of the client's key: its low bits are uniform.
        let index = ((id.1 as u64) ^ id.0) as usize % SHARDS;
        self.shards[index].lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Claims `key` for its request at `at_us`, unless it is claimed already.
    pub fn claim(&self, key: &Idempotency, at_us: i64) -> Claim {
        let id = (key.principal, key.key);
        let mut shard = self.shard(&id);
        shard.expire(at_us);
        match shard.map.get_mut(&id) {
            Some(claimed) if claimed.request == key.request => {
                claimed.shared = true;
                Claim::Same
            }
            Some(_) => Claim::Conflict,
            None => {
                let claimed = Claimed {
                    request: key.request,
                    at_us,
                    shared: false,
                };
                shard.map.insert(id, claimed);
                shard.order.push_back((id, at_us));
                while shard.map.len() > self.cap_per_shard {
                    shard.forget_oldest();
                }
                Claim::New
            }
        }
    }

    /// Whether `key` is claimed for this very request.
    pub fn holds(&self, key: &Idempotency) -> bool {
        let id = (key.principal, key.key);
        self.shard(&id).map.get(&id).is_some_and(|c| c.request == key.request)
    }

    /// Gives a claim back (its request was not queued anywhere), unless a retry of the same
    /// request was let through on it meanwhile.
    pub fn release(&self, key: &Idempotency) {
        let id = (key.principal, key.key);
        let mut shard = self.shard(&id);
        if shard
            .map
            .get(&id)
            .is_some_and(|c| c.request == key.request && !c.shared)
        {
            shard.map.remove(&id);
        }
    }

    /// Records a claim recovered at start (from a partition's index or the API's records).
    pub fn restore(&self, key: &Idempotency, at_us: i64) {
        let id = (key.principal, key.key);
        let mut shard = self.shard(&id);
        let claimed = Claimed {
            request: key.request,
            at_us,
            shared: true,
        };
        if shard.map.insert(id, claimed).is_none() {
            shard.order.push_back((id, at_us));
        }
    }

    /// Restores every key of a partition's index.
    pub(crate) fn restore_index(&self, index: &IdempotencyIndex) {
        for (principal, key, seen) in index.entries() {
            let key = Idempotency {
                principal,
                key,
                request: seen.request,
            };
            self.restore(&key, seen.at_us);
        }
    }

    /// Claims held now.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|p| p.into_inner()).map.len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Shard {
    fn expire(&mut self, now_us: i64) {
        while self
            .order
            .front()
            .is_some_and(|(_, at)| now_us.saturating_sub(*at) > KeyClaims::TTL_US)
        {
            self.forget_oldest();
        }
    }

    /// Drops the oldest entry of the order, and its claim if the claim is still that one (a
    /// released key may have been claimed again since).
    fn forget_oldest(&mut self) {
        if let Some((id, at)) = self.order.pop_front()
            && self.map.get(&id).is_some_and(|c| c.at_us == at)
        {
            self.map.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: u128, request: u128) -> Idempotency {
        Idempotency {
            principal: 7,
            key: k,
            request,
        }
    }

    #[test]
    fn a_key_is_claimed_once_for_one_request() {
        let claims = KeyClaims::new(1);
        assert_eq!(claims.claim(&key(1, 1), 0), Claim::New);
        assert_eq!(claims.claim(&key(1, 1), 1), Claim::Same);
        assert_eq!(claims.claim(&key(1, 2), 2), Claim::Conflict);
        assert!(claims.holds(&key(1, 1)));
        assert!(!claims.holds(&key(1, 2)));
        let other_caller = Idempotency {
            principal: 8,
            ..key(1, 2)
        };
        assert_eq!(claims.claim(&other_caller, 3), Claim::New);
    }

    #[test]
    fn a_released_claim_is_free_again_and_old_claims_expire() {
        let claims = KeyClaims::new(1);
        assert_eq!(claims.claim(&key(1, 1), 0), Claim::New);
        claims.release(&key(1, 2));
        assert!(claims.holds(&key(1, 1)));
        claims.release(&key(1, 1));
        // A claim a retry went through on is kept.
        assert_eq!(claims.claim(&key(4, 1), 0), Claim::New);
        assert_eq!(claims.claim(&key(4, 1), 0), Claim::Same);
        claims.release(&key(4, 1));
        assert!(claims.holds(&key(4, 1)));
        assert_eq!(claims.claim(&key(1, 2), 10), Claim::New);
        assert_eq!(claims.claim(&key(2, 1), 20), Claim::New);
        // A day after the first claims, a claim at that time expires them.
        assert_eq!(claims.claim(&key(3, 1), KeyClaims::TTL_US + 15), Claim::New);
        assert_eq!(claims.claim(&key(1, 3), KeyClaims::TTL_US + 15), Claim::New);
        assert_eq!(claims.claim(&key(2, 2), KeyClaims::TTL_US + 15), Claim::Conflict);
    }
}
