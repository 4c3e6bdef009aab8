//! [`SharedFeatureShard`]: feature state of keys shared across users (device, IP, merchant,
//! card). Users of many partitions meet on one device, so these keys are sharded by their own
//! hash ([`EntityKey::shard`]), not by user. One shard is a plain sans-IO value: whoever owns it
//! (a thread, a process) asks it for features before a decision and tells it the event after.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::distinct::{DistinctSet, SetLimits};
use super::merchant::{MERCHANT_BOOK_RETENTION_MS, MerchantBook, MerchantFact, MerchantFeatures};
use super::tally::Tally;
use super::tiers::WindowedTally;
use super::user::ip_key;
use super::vector::EntityFeatures;
use super::window::DAY_MS;
use crate::checkpoint::CheckpointInput;
use crate::ids::{CardToken, DeviceId, MerchantId, Timestamp, UserId};

/// A key shared across users.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKey {
    Device(DeviceId),
    Ip(IpAddr),
    Merchant(MerchantId),
    Card(CardToken),
}

impl EntityKey {
    /// Which of `shards` shards owns this key. Stable across processes, machines and builds
    /// for a given `seed` (a fixed mix of the key's kind and value, not the map hasher), so
    /// every process routes a key to the same shard.
    pub fn shard(&self, shards: u32, seed: u64) -> u32 {
        let (kind, value): (u64, u128) = match *self {
            EntityKey::Device(d) => (1, u128::from(d.0)),
            EntityKey::Ip(ip) => (2, ip_key(ip)),
            EntityKey::Merchant(m) => (3, u128::from(m.0)),
            EntityKey::Card(c) => (4, u128::from(c.0)),
        };
        let hash = mix(mix(mix(seed ^ kind) ^ (value as u64)) ^ ((value >> 64) as u64));
        (hash % u64::from(shards.max(1))) as u32
    }
}

// One SplitMix64 step: a fixed, well-spread 64-bit mix.
use seeded::splitmix64 as mix;

/// The shared keys of one input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharedKeys {
    pub device: DeviceId,
    pub ip: IpAddr,
    pub merchant: Option<MerchantId>,
    pub card: Option<CardToken>,
}

impl SharedKeys {
    pub fn of(input: &CheckpointInput) -> SharedKeys {
        SharedKeys {
            device: input.device,
            ip: input.ip,
            merchant: input.merchant(),
            card: input.card(),
        }
    }

    /// Every key, device first.
    pub fn keys(&self) -> impl Iterator<Item = EntityKey> {
        [
            Some(EntityKey::Device(self.device)),
            Some(EntityKey::Ip(self.ip)),
            self.merchant.map(EntityKey::Merchant),
            self.card.map(EntityKey::Card),
        ]
        .into_iter()
        .flatten()
    }
}

/// Memory limits for one kind of shared key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntityLimits {
    /// Raw events kept for the 5 min and 1 h windows.
    pub raw_cap: usize,
    /// Distinct users remembered; the retention is also how long an idle key lives.
    pub users: SetLimits,
}

impl EntityLimits {
    pub const fn new(raw_cap: usize, users_cap: usize) -> EntityLimits {
        EntityLimits {
            raw_cap,
            users: SetLimits {
                cap: users_cap,
                retention_ms: 31 * DAY_MS,
            },
        }
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct EntityState {
    tally: WindowedTally,
    users: DistinctSet<UserId>,
    /// First and last event of the current run of activity.
    first_ms: Option<i64>,
    last_ms: Option<i64>,
}

impl EntityState {
    /// Loads what [`SharedFeatureShard::features`] and [`SharedFeatureShard::observe`] will
    /// read, so that a caller warming several keys in a row has their cache misses overlap
    /// instead of following one another; returns a value only so the loads are kept.
    pub(crate) fn warm(&self) -> i64 {
        self.tally.warm() ^ self.users.warm() ^ self.last_ms.unwrap_or(0)
    }

    /// Loads the rest of the users set (after [`EntityState::warm`] of every key).
    pub(crate) fn warm_rows(&self) -> i64 {
        self.users.warm_rows()
    }

    fn features(&mut self, user: UserId, current: &Tally, now: i64, limits: EntityLimits) -> EntityFeatures {
        let (prior, raw_saturated) = self.tally.windows(now);
        let first = self.first_seen(now, limits.users.retention_ms);
        EntityFeatures {
            tally: prior.map(|t| t.plus(current)),
            distinct_users: self.users.counts(Some(user), now),
            age_days: first.map_or(0, |f| u32::try_from((now - f) / DAY_MS).unwrap_or(u32::MAX)),
            saturated: raw_saturated || self.users.saturated(now, limits.users.retention_ms),
        }
    }

    /// The first event of the current run, if the key is still remembered at `now`.
    fn first_seen(&self, now: i64, retention_ms: i64) -> Option<i64> {
        self.first_ms
            .filter(|_| self.last_ms.is_some_and(|last| now - last <= retention_ms))
    }
}

type Map<K> = HashMap<K, EntityState, ahash::RandomState>;

/// Feature state of the shared keys one shard owns.
#[derive(Debug)]
pub struct SharedFeatureShard {
    devices: Map<DeviceId>,
    ips: Map<u128>,
    merchants: Map<MerchantId>,
    cards: Map<CardToken>,
    limits: [EntityLimits; 4],
    /// Order facts of the merchants this shard owns (see `merchant.rs`).
    books: HashMap<MerchantId, MerchantBook, ahash::RandomState>,
    /// The newest `now` seen; older times are treated as this one (partitions' clocks race).
    last_now: i64,
}

impl SharedFeatureShard {
    /// Limits for devices, IPs, merchants and cards, in that order.
    pub fn new(limits: [EntityLimits; 4], hash_seed: u64) -> SharedFeatureShard {
        let hasher = || ahash::RandomState::with_seeds(hash_seed, 0x5ba7, 0x5ba8, 0x5ba9);
        SharedFeatureShard {
            devices: HashMap::with_hasher(hasher()),
            ips: HashMap::with_hasher(hasher()),
            merchants: HashMap::with_hasher(hasher()),
            cards: HashMap::with_hasher(hasher()),
            limits,
            books: HashMap::with_hasher(hasher()),
            last_now: i64::MIN,
        }
    }

    /// The shard's state (see `snapshot.rs`).
    pub fn snapshot(&self) -> SharedShardSnapshot {
        use super::snapshot::sorted;
        SharedShardSnapshot {
            devices: sorted(&self.devices),
            ips: sorted(&self.ips),
            merchants: sorted(&self.merchants),
            cards: sorted(&self.cards),
            books: sorted(&self.books),
            last_now: self.last_now,
        }
    }

    /// A shard with `snapshot`'s state.
    pub fn restore(limits: [EntityLimits; 4], hash_seed: u64, snapshot: SharedShardSnapshot) -> SharedFeatureShard {
        use super::snapshot::refill;
        let mut shard = SharedFeatureShard::new(limits, hash_seed);
        refill(&mut shard.devices, snapshot.devices);
        refill(&mut shard.ips, snapshot.ips);
        refill(&mut shard.merchants, snapshot.merchants);
        refill(&mut shard.cards, snapshot.cards);
        refill(&mut shard.books, snapshot.books);
        shard.last_now = snapshot.last_now;
        shard
    }

    /// Features of `key` for an event of `user` adding `current`, counting that event.
    pub fn features(&mut self, key: EntityKey, user: UserId, current: &Tally, now: Timestamp) -> EntityFeatures {
        let now = self.last_now.max(now.millis());
        let (limits, state) = self.slot(key);
        // A new key's default state is only built when the key is new.
        match state {
            Some(state) => state.features(user, current, now, limits),
            None => EntityState::default().features(user, current, now, limits),
        }
    }

    /// The state of `key`, if any (see [`EntityState::warm`]).
    pub(crate) fn lookup(&self, key: EntityKey) -> Option<&EntityState> {
        match key {
            EntityKey::Device(d) => self.devices.get(&d),
            EntityKey::Ip(ip) => self.ips.get(&ip_key(ip)),
            EntityKey::Merchant(m) => self.merchants.get(&m),
            EntityKey::Card(c) => self.cards.get(&c),
        }
    }

    /// Records an event of `user` on `key`.
    pub fn observe(&mut self, key: EntityKey, user: UserId, tally: &Tally, now: Timestamp) {
        self.last_now = self.last_now.max(now.millis());
        let now = self.last_now;
        let limits = self.limits_of(key);
        let state = match key {
            EntityKey::Device(d) => self.devices.entry(d).or_default(),
            EntityKey::Ip(ip) => self.ips.entry(ip_key(ip)).or_default(),
            EntityKey::Merchant(m) => self.merchants.entry(m).or_default(),
            EntityKey::Card(c) => self.cards.entry(c).or_default(),
        };
        if state.first_seen(now, limits.users.retention_ms).is_none() {
            state.first_ms = Some(now);
        }
        state.last_ms = Some(now);
        state.tally.observe(now, tally, limits.raw_cap);
        state.users.touch(user, now, limits.users);
        if let EntityKey::Merchant(m) = key {
            self.books.entry(m).or_default().touch(now);
        }
    }

    /// Records a fact about an order of `merchant`, told by the shell after it happened.
    pub fn observe_merchant_fact(&mut self, merchant: MerchantId, fact: MerchantFact, now: Timestamp) {
        self.last_now = self.last_now.max(now.millis());
        self.books.entry(merchant).or_default().observe(fact, self.last_now);
    }

    /// The order facts of `merchant` at `now`.
    pub fn merchant_features(&mut self, merchant: MerchantId, now: Timestamp) -> MerchantFeatures {
        let now = self.last_now.max(now.millis());
        self.books
            .get_mut(&merchant)
            .map_or_else(MerchantFeatures::default, |book| book.features(now))
    }

    /// Forgets keys idle for longer than their retention and trims the rest.
    pub fn sweep(&mut self, now: Timestamp) {
        let now = self.last_now.max(now.millis());
        let [d, i, m, c] = self.limits;
        sweep_map(&mut self.devices, now, d);
        sweep_map(&mut self.ips, now, i);
        sweep_map(&mut self.merchants, now, m);
        sweep_map(&mut self.cards, now, c);
        self.books.retain(|_, book| !book.idle(now, MERCHANT_BOOK_RETENTION_MS));
    }

    /// The users `key` was seen with that are still remembered (at most the kind's set cap).
    pub fn users_of(&self, key: EntityKey) -> Vec<UserId> {
        let retention = self.limits_of(key).users.retention_ms;
        self.lookup(key).map_or_else(Vec::new, |state| {
            state
                .users
                .remembered(self.last_now, retention)
                .into_iter()
                .map(|s| s.key)
                .collect()
        })
    }

    /// Number of keys held, all kinds together.
    pub fn len(&self) -> usize {
        self.devices.len() + self.ips.len() + self.merchants.len() + self.cards.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn limits_of(&self, key: EntityKey) -> EntityLimits {
        match key {
            EntityKey::Device(_) => self.limits[0],
            EntityKey::Ip(_) => self.limits[1],
            EntityKey::Merchant(_) => self.limits[2],
            EntityKey::Card(_) => self.limits[3],
        }
    }

    fn slot(&mut self, key: EntityKey) -> (EntityLimits, Option<&mut EntityState>) {
        let limits = self.limits_of(key);
        let state = match key {
            EntityKey::Device(d) => self.devices.get_mut(&d),
            EntityKey::Ip(ip) => self.ips.get_mut(&ip_key(ip)),
            EntityKey::Merchant(m) => self.merchants.get_mut(&m),
            EntityKey::Card(c) => self.cards.get_mut(&c),
        };
        (limits, state)
    }
}

fn sweep_map<K: Eq + Hash>(map: &mut Map<K>, now: i64, limits: EntityLimits) {
    map.retain(|_, state| {
        let idle = state.last_ms.is_none_or(|last| now - last > limits.users.retention_ms);
        if !idle {
            state.tally.advance(now);
            state.users.purge(now, limits.users.retention_ms);
        }
        !idle
    });
}

/// A [`SharedFeatureShard`]'s state.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SharedShardSnapshot {
    pub(super) devices: Vec<(DeviceId, EntityState)>,
    pub(super) ips: Vec<(u128, EntityState)>,
    pub(super) merchants: Vec<(MerchantId, EntityState)>,
    pub(super) cards: Vec<(CardToken, EntityState)>,
    pub(super) books: Vec<(MerchantId, MerchantBook)>,
    pub(super) last_now: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pinned values: a change here moves keys between shards of a running deployment.
    #[test]
    fn shard_routing_is_stable() {
        let table = [
            (EntityKey::Device(DeviceId(42)), 57),
            (EntityKey::Ip(IpAddr::from([10, 0, 0, 1])), 7),
            (EntityKey::Merchant(MerchantId(7)), 39),
            (EntityKey::Card(CardToken(123_456)), 31),
        ];
        let got: Vec<_> = table.iter().map(|(key, _)| key.shard(64, 0xda7a)).collect();
        let want: Vec<_> = table.iter().map(|(_, shard)| *shard).collect();
        assert_eq!(got, want);
        let mut counts = [0u32; 8];
        for d in 0..8_000 {
            counts[EntityKey::Device(DeviceId(d)).shard(8, 1) as usize] += 1;
        }
        assert!(counts.iter().all(|c| (850..1_150).contains(c)), "{counts:?}");
    }
}
