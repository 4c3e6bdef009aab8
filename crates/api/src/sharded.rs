//! [`Sharded`]: a hash map split over independently locked shards, so concurrent requests for
//! different keys rarely touch the same lock (the brief for the hot path: no lock shared by all
//! requests).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::{Mutex, MutexGuard};

/// Shards per map: a power of two well above the core count.
const SHARDS: usize = 64;

#[derive(Debug)]
pub struct Sharded<K, V> {
    shards: Box<[Mutex<HashMap<K, V>>]>,
    hasher: RandomState,
}

impl<K: Hash + Eq, V> Default for Sharded<K, V> {
    fn default() -> Sharded<K, V> {
        Sharded {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
        }
    }
}

impl<K: Hash + Eq, V> Sharded<K, V> {
    /// The shard that holds `key`, locked. A poisoned shard (a panic while it was held) is
    /// still used: every update below is a single map operation, so it cannot be half done.
    pub fn shard(&self, key: &K) -> MutexGuard<'_, HashMap<K, V>> {
        let index = (self.hasher.hash_one(key) as usize) % SHARDS;
        self.shards[index]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn get_cloned(&self, key: &K) -> Option<V>
    where
        V: Clone,
    {
        self.shard(key).get(key).cloned()
    }

    pub fn insert(&self, key: K, value: V) {
        self.shard(&key).insert(key, value);
    }

    pub fn remove(&self, key: &K) -> Option<V> {
        self.shard(key).remove(key)
    }

    /// Keeps only the entries `keep` accepts, one shard at a time; returns how many went.
    pub fn retain(&self, mut keep: impl FnMut(&K, &mut V) -> bool) -> usize {
        let mut removed = 0;
        for shard in self.shards.iter() {
            let mut map = shard.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let before = map.len();
            map.retain(|k, v| keep(k, v));
            removed += before - map.len();
        }
        removed
    }
}
