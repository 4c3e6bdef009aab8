//! The idempotency index of a partition: which keys it has seen, for which request, and where in
//! the journal the reply is.
//!
//! Keys are remembered for [`IdempotencyIndex::TTL_US`] (24 hours) or until the partition holds
//! [`IdempotencyIndex::CAP`] keys, whichever comes first: the oldest go first. The index is part
//! of the partition's snapshot and is rebuilt from the journal records after it.

use std::collections::VecDeque;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// An idempotency key, already hashed by the caller: `principal` scopes it (a merchant, a
/// customer), `key` is the key's 128-bit hash, `request` the request's. The same key with the
/// same request gets the stored reply; with another request, [`Outcome::Conflict`](crate::Outcome::Conflict).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Idempotency {
    pub principal: u64,
    pub key: u128,
    pub request: u128,
}

/// Where an earlier request's reply is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    pub request: u128,
    pub seq: u64,
    pub index: u32,
    pub at_us: i64,
}

/// What the index says about a key.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    New,
    Same(Seen),
    Conflict,
}

#[derive(Clone, Debug, Default)]
pub struct IdempotencyIndex {
    map: FxHashMap<(u64, u128), Seen>,
    order: VecDeque<((u64, u128), i64)>,
}

impl IdempotencyIndex {
    pub const TTL_US: i64 = 24 * 3600 * 1_000_000;
    pub const CAP: usize = 1 << 20;

    pub fn lookup(&self, key: &Idempotency) -> Lookup {
        match self.map.get(&(key.principal, key.key)) {
            None => Lookup::New,
            Some(seen) if seen.request == key.request => Lookup::Same(*seen),
            Some(_) => Lookup::Conflict,
        }
    }

    pub fn insert(&mut self, key: &Idempotency, seen: Seen) {
        let id = (key.principal, key.key);
        if self.map.insert(id, seen).is_none() {
            self.order.push_back((id, seen.at_us));
        }
        while self.order.len() > Self::CAP {
            self.forget_oldest();
        }
    }

    /// Forgets keys older than the TTL as of `now_us`.
    pub fn expire(&mut self, now_us: i64) {
        while self.order.front().is_some_and(|(_, at)| now_us - at > Self::TTL_US) {
            self.forget_oldest();
        }
    }

    fn forget_oldest(&mut self) {
        if let Some((id, _)) = self.order.pop_front() {
            self.map.remove(&id);
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Entries in insertion order, for snapshots.
    pub fn entries(&self) -> Vec<(u64, u128, Seen)> {
        self.order
            .iter()
            .filter_map(|(id, _)| self.map.get(id).map(|s| (id.0, id.1, *s)))
            .collect()
    }

    pub fn from_entries(entries: Vec<(u64, u128, Seen)>) -> IdempotencyIndex {
        let mut index = IdempotencyIndex::default();
        for (principal, key, seen) in entries {
            index.insert(
                &Idempotency {
                    principal,
                    key,
                    request: seen.request,
                },
                seen,
            );
        }
        index
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
    fn same_key_same_request_is_found_another_request_conflicts() {
        let mut index = IdempotencyIndex::default();
        let seen = Seen {
            request: 1,
            seq: 3,
            index: 4,
            at_us: 0,
        };
        assert_eq!(index.lookup(&key(9, 1)), Lookup::New);
        index.insert(&key(9, 1), seen);
        assert_eq!(index.lookup(&key(9, 1)), Lookup::Same(seen));
        assert_eq!(index.lookup(&key(9, 2)), Lookup::Conflict);
        assert_eq!(
            index.lookup(&Idempotency {
                principal: 8,
                ..key(9, 2)
            }),
            Lookup::New
        );
    }

    #[test]
    fn keys_expire_after_a_day() {
        let mut index = IdempotencyIndex::default();
        index.insert(
            &key(1, 1),
            Seen {
                request: 1,
                seq: 1,
                index: 0,
                at_us: 0,
            },
        );
        index.insert(
            &key(2, 1),
            Seen {
                request: 1,
                seq: 1,
                index: 1,
                at_us: 1_000,
            },
        );
        index.expire(IdempotencyIndex::TTL_US + 500);
        assert_eq!(index.lookup(&key(1, 1)), Lookup::New);
        assert!(matches!(index.lookup(&key(2, 1)), Lookup::Same(_)));
        let restored = IdempotencyIndex::from_entries(index.entries());
        assert_eq!(restored.len(), 1);
    }
}
