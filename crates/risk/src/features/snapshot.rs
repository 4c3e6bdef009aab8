//! Feature state as a snapshot holds it (issue 19: restart without scanning the whole journal).
//!
//! Each store's `snapshot` writes its state in canonical form: map entries sorted by key, so two
//! stores with equal state give equal bytes whatever order their hash maps iterate in (tests
//! compare a store restored from a snapshot with one rebuilt by scanning the journal). `restore`
//! rebuilds the store with the caller's limits and hash seed (limits are configuration, not
//! state). The shell (the engine) decides where snapshots live and versions their bytes; these
//! types (each next to its store: `UserFeaturesSnapshot` in `user.rs`, ...) only promise that `restore(snapshot(x))` answers every query as `x` does.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};

/// A map's entries sorted by key.
pub(super) fn sorted<K: Ord + Copy, V: Clone, S>(map: &HashMap<K, V, S>) -> Vec<(K, V)> {
    let mut entries: Vec<(K, V)> = map.iter().map(|(k, v)| (*k, v.clone())).collect();
    entries.sort_unstable_by_key(|(k, _)| *k);
    entries
}

/// `entries` into an empty map with its own hasher.
pub(super) fn refill<K: Eq + Hash, V, S: BuildHasher>(map: &mut HashMap<K, V, S>, entries: Vec<(K, V)>) {
    map.reserve(entries.len());
    map.extend(entries);
}
