//! [`FeatureStore`]: the user store and one shared shard together, for a process that owns every
//! key (tests, the simulator, an embedded server with a single shared shard).

use super::binding::{BINDING_LIMITS, BindingStore};
use super::links::{LinkGraph, LinkKey, LinkLimits};
use super::merchant::MerchantFact;
use super::shared::{EntityKey, EntityLimits, EntityState, SharedFeatureShard, SharedKeys};
use super::tally::Tally;
use super::user::{UserFeatureStore, UserLimits, UserState};
use super::vector::{FeatureVector, local_hour};
use crate::checkpoint::CheckpointInput;
use crate::ids::{MerchantId, Timestamp, UserId};

/// Feature configuration: memory limits per kind of key, the local time zone offset and the
/// seed of the map hashers.
///
/// What a cap does when hit: the raw-event cap drops the oldest raw event (the 24 h and 30 d
/// windows still count it; the 5 min and 1 h windows become lower bounds); a distinct-set cap
/// evicts the least recently seen element (counts become lower bounds, and an evicted device
/// looks new when it comes back). Either way the key's `saturated` flag is set for as long as
/// the answer may be low. Memory per key is bounded by the caps (raw events, at most 1,440
/// minute buckets and 720 hour buckets, the set caps); `sweep` bounds the number of keys to
/// those active within their retention.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeatureConfig {
    /// Minutes east of UTC for the hour-of-day feature (480 for Asia/Shanghai).
    pub utc_offset_minutes: i32,
    pub user: UserLimits,
    pub device: EntityLimits,
    pub ip: EntityLimits,
    pub merchant: EntityLimits,
    pub card: EntityLimits,
    pub hash_seed: u64,
    /// Bounds of the link graph (issue 16 item 2).
    pub links: LinkLimits,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            utc_offset_minutes: 480,
            user: UserLimits::default(),
            device: EntityLimits::new(128, 64),
            ip: EntityLimits::new(256, 256),
            merchant: EntityLimits::new(1_024, 256),
            card: EntityLimits::new(64, 32),
            hash_seed: 0x0005_eed0_da7a,
            links: LinkLimits::default(),
        }
    }
}

/// User features and shared-key features in one value.
#[derive(Debug)]
pub struct FeatureStore {
    users: UserFeatureStore,
    shared: SharedFeatureShard,
    utc_offset_minutes: i32,
    binding: BindingStore,
    graph: LinkGraph,
}

impl FeatureStore {
    pub fn new(config: FeatureConfig) -> FeatureStore {
        FeatureStore {
            users: UserFeatureStore::new(config.user, config.hash_seed),
            shared: SharedFeatureShard::new(
                [config.device, config.ip, config.merchant, config.card],
                config.hash_seed,
            ),
            utc_offset_minutes: config.utc_offset_minutes,
            binding: BindingStore::new(BINDING_LIMITS, config.hash_seed),
            graph: LinkGraph::new(config.links, config.hash_seed),
        }
    }

    /// The features of `input` evaluated at `now` (counting `input` itself in the windows).
    pub fn features_for(&mut self, input: &CheckpointInput, now: Timestamp) -> FeatureVector {
        let current = Tally::of_event(input);
        let keys = SharedKeys::of(input);
        self.warm(input.user, &keys);
        let mut shared = |key| self.shared.features(key, input.user, &current, now);
        let device = shared(EntityKey::Device(keys.device));
        let ip = shared(EntityKey::Ip(keys.ip));
        let merchant = keys.merchant.map(|m| shared(EntityKey::Merchant(m)));
        let card = keys.card.map(|c| shared(EntityKey::Card(c)));
        let merchant_book = keys.merchant.map(|m| self.shared.merchant_features(m, now));
        FeatureVector {
            hour_of_day: local_hour(input.at, self.utc_offset_minutes),
            user: self.users.features(input, now),
            device,
            ip,
            merchant,
            card,
            history: self.users.history(input, now),
            merchant_book,
            binding: self.binding.features(input, now),
            graph: self
                .graph
                .features(input.user, LinkKey::of(input.device, input.ip, input.card()), now),
        }
    }

    /// Loads every key's state before any is used, in passes (find the states, read them, read
    /// their sets), so that their cache misses overlap rather than follow one another: the
    /// states are far apart in memory and rarely in cache, and waiting for them one at a time
    /// was most of an evaluation's time.
    fn warm(&self, user: UserId, keys: &SharedKeys) {
        let states = (
            self.users.lookup(user),
            self.shared.lookup(EntityKey::Device(keys.device)),
            self.shared.lookup(EntityKey::Ip(keys.ip)),
            keys.merchant.and_then(|m| self.shared.lookup(EntityKey::Merchant(m))),
            keys.card.and_then(|c| self.shared.lookup(EntityKey::Card(c))),
        );
        let loaded = [
            states.0.map_or(0, UserState::warm),
            states.1.map_or(0, EntityState::warm),
            states.2.map_or(0, EntityState::warm),
            states.3.map_or(0, EntityState::warm),
            states.4.map_or(0, EntityState::warm),
            states.0.map_or(0, UserState::warm_rows),
            states.1.map_or(0, EntityState::warm_rows),
            states.2.map_or(0, EntityState::warm_rows),
            states.3.map_or(0, EntityState::warm_rows),
            states.4.map_or(0, EntityState::warm_rows),
        ];
        std::hint::black_box(loaded);
    }

    /// Records `input` at `now`, after its decision (`denied` when the decision was deny).
    /// Every evaluated attempt is observed, denied or not, so velocity sees refused bursts.
    pub fn observe(&mut self, input: &CheckpointInput, denied: bool, now: Timestamp) {
        let tally = Tally::of_event(input).with_denial(denied);
        self.users.observe(input, &tally, now);
        for key in SharedKeys::of(input).keys() {
            self.shared.observe(key, input.user, &tally, now);
        }
        self.binding.observe(input, denied, now);
        self.graph
            .observe(input.user, LinkKey::of(input.device, input.ip, input.card()), now);
    }

    /// Records a fact about an order of `merchant` (see [`MerchantFact`]).
    pub fn observe_merchant_fact(&mut self, merchant: MerchantId, fact: MerchantFact, now: Timestamp) {
        self.shared.observe_merchant_fact(merchant, fact, now);
    }

    /// Records a confirmed fraud case on `user` (the link graph counts it in its component).
    pub fn confirm_fraud(&mut self, user: UserId, now: Timestamp) {
        self.graph.confirm_fraud(user, now);
    }

    /// Forgets idle keys: call it now and then (say every minute) to bound memory.
    pub fn sweep(&mut self, now: Timestamp) {
        self.users.sweep(now);
        self.shared.sweep(now);
        self.binding.sweep(now);
    }

    /// Keys held: users, and shared keys of every kind.
    pub fn key_counts(&self) -> (usize, usize) {
        (self.users.len(), self.shared.len())
    }
}
