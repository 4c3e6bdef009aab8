//! Feature state as a snapshot holds it (issue 19: restart without scanning the whole journal).
//!
//! Each store's `snapshot` writes its state in canonical form: map entries sorted by key, so two
//! stores with equal state give equal bytes whatever order their hash maps iterate in (tests
//! compare a store restored from a snapshot with one rebuilt by scanning the journal). `restore`
//! rebuilds the store with the caller's limits and hash seed (limits are configuration, not
//! state). The shell (the engine) decides where snapshots live and versions their bytes; these
//! types only promise that `restore(snapshot(x))` answers every query as `x` does.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};

use serde::{Deserialize, Serialize};

use super::binding::Binding;
use super::links::{KeyState, Root};
use super::merchant::MerchantBook;
use super::shared::EntityState;
use super::user::UserState;
use crate::features::LinkKey;
use crate::ids::{CardToken, DeviceId, MerchantId, UserId};

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

/// A [`super::UserFeatureStore`]'s state.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UserFeaturesSnapshot {
    pub(super) users: Vec<(UserId, UserState)>,
    pub(super) last_now: i64,
}

/// A [`super::BindingStore`]'s state.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BindingSnapshot {
    pub(super) users: Vec<(UserId, Binding)>,
    pub(super) last_now: i64,
}

/// A [`super::SharedFeatureShard`]'s state.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SharedShardSnapshot {
    pub(super) devices: Vec<(DeviceId, EntityState)>,
    pub(super) ips: Vec<(u128, EntityState)>,
    pub(super) merchants: Vec<(MerchantId, EntityState)>,
    pub(super) cards: Vec<(CardToken, EntityState)>,
    pub(super) books: Vec<(MerchantId, MerchantBook)>,
    pub(super) last_now: i64,
}

/// A [`super::LinkGraph`]'s state (node numbers kept: `parent` refers to them).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LinkGraphSnapshot {
    pub(super) index: Vec<(UserId, u32)>,
    pub(super) parent: Vec<u32>,
    pub(super) roots: Vec<Root>,
    pub(super) fraud: Vec<bool>,
    pub(super) keys: Vec<(LinkKey, KeyState)>,
    pub(super) saturated: bool,
    pub(super) last_now: i64,
}
