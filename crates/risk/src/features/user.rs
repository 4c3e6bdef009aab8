//! [`UserFeatureStore`]: per-user feature state, owned by the user's partition.

use std::collections::HashMap;
use std::net::IpAddr;

use super::distinct::{DistinctSet, SetLimits};
use super::geo::{cell_center, cell_of, degrees, distance_km, speed_kmh, whole_km};
use super::sightings::{Sighting, Sightings, ip_of_key, newest_first};
use super::tally::Tally;
use super::tiers::WindowedTally;
use super::vector::UserFeatures;
use super::window::{DAY_MS, HOUR_MS, Window};
use crate::checkpoint::CheckpointInput;
use crate::ids::{CardToken, DeviceId, Geo, MerchantId, Timestamp, UserId};

/// Memory limits of one user's state. Every set's retention is at least 31 days (longer than
/// the 30 d window), so expiry never changes a window's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserLimits {
    /// Raw events kept for the 5 min and 1 h windows.
    pub raw_cap: usize,
    /// Devices of the account; the retention is how long a device unused stays "known".
    pub devices: SetLimits,
    pub ips: SetLimits,
    pub merchants: SetLimits,
    pub cards: SetLimits,
    /// Coarse places (cells) for "distance from usual places".
    pub places: SetLimits,
    /// A user idle for longer is forgotten by `sweep` (and the account age restarts).
    pub retention_ms: i64,
}

impl Default for UserLimits {
    fn default() -> Self {
        let month = SetLimits {
            cap: 64,
            retention_ms: 31 * DAY_MS,
        };
        UserLimits {
            raw_cap: 64,
            devices: SetLimits {
                cap: 32,
                retention_ms: 180 * DAY_MS,
            },
            ips: month,
            merchants: month,
            cards: SetLimits { cap: 16, ..month },
            places: SetLimits { cap: 32, ..month },
            retention_ms: 180 * DAY_MS,
        }
    }
}

/// The key an IP address is stored under (IPv4 as its IPv6-mapped form).
pub fn ip_key(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().to_bits(),
        IpAddr::V6(v6) => v6.to_bits(),
    }
}

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct UserState {
    tally: WindowedTally,
    devices: DistinctSet<DeviceId>,
    ips: DistinctSet<u128>,
    merchants: DistinctSet<MerchantId>,
    cards: DistinctSet<CardToken>,
    places: DistinctSet<u64>,
    last_geo: Option<(i64, Geo)>,
    /// First and last event of the current run of activity.
    first_ms: Option<i64>,
    last_ms: Option<i64>,
    /// Own-history sums (issue 16).
    history: super::history::HistoryState,
}

/// Per-user feature state of one partition.
#[derive(Debug)]
pub struct UserFeatureStore {
    users: HashMap<UserId, UserState, ahash::RandomState>,
    limits: UserLimits,
    /// The newest `now` seen; an older time is treated as this one (time never runs back).
    last_now: i64,
}

impl UserFeatureStore {
    /// `hash_seed` keys the map's hasher (ids can be chosen by clients).
    pub fn new(limits: UserLimits, hash_seed: u64) -> UserFeatureStore {
        UserFeatureStore {
            users: HashMap::with_hasher(ahash::RandomState::with_seeds(
                hash_seed,
                0x5eed_0001,
                0x5eed_0002,
                0x5eed_0003,
            )),
            limits,
            last_now: i64::MIN,
        }
    }

    /// The store's state (see `snapshot.rs`).
    pub fn snapshot(&self) -> UserFeaturesSnapshot {
        UserFeaturesSnapshot {
            users: super::snapshot::sorted(&self.users),
            last_now: self.last_now,
        }
    }

    /// A store with `snapshot`'s state.
    pub fn restore(limits: UserLimits, hash_seed: u64, snapshot: UserFeaturesSnapshot) -> UserFeatureStore {
        let mut store = UserFeatureStore::new(limits, hash_seed);
        super::snapshot::refill(&mut store.users, snapshot.users);
        store.last_now = snapshot.last_now;
        store
    }

    /// The user's own-history features for `input` at `now` (see `history.rs`).
    pub fn history(&self, input: &CheckpointInput, now: Timestamp) -> super::history::HistoryFeatures {
        let now_ms = self.last_now.max(now.millis());
        match self.users.get(&input.user) {
            Some(state) => state.history_features(input, now_ms, &self.limits),
            None => UserState::default().history_features(input, now_ms, &self.limits),
        }
    }

    /// The user's features for `input` at `now_ms`, counting `input` as part of the windows.
    pub fn features(&mut self, input: &CheckpointInput, now: Timestamp) -> UserFeatures {
        let now_ms = self.last_now.max(now.millis());
        let limits = self.limits;
        // A new user's default state is only built when the user is new.
        match self.users.get_mut(&input.user) {
            Some(state) => state.features(input, now_ms, &limits),
            None => UserState::default().features(input, now_ms, &limits),
        }
    }

    /// The state of `user`, if any (see [`UserState::warm`]).
    pub(crate) fn lookup(&self, user: UserId) -> Option<&UserState> {
        self.users.get(&user)
    }

    /// Records `input` (with its decision folded into `tally`) at `now_ms`.
    pub fn observe(&mut self, input: &CheckpointInput, tally: &Tally, now: Timestamp) {
        self.last_now = self.last_now.max(now.millis());
        let now_ms = self.last_now;
        let limits = self.limits;
        let state = self.users.entry(input.user).or_default();
        state.observe(input, tally, now_ms, &limits);
    }

    /// Forgets users idle for longer than the retention and trims the rest.
    pub fn sweep(&mut self, now: Timestamp) {
        let now_ms = self.last_now.max(now.millis());
        let limits = self.limits;
        self.users.retain(|_, state| {
            let idle = state.last_ms.is_none_or(|last| now_ms - last > limits.retention_ms);
            if !idle {
                state.trim(now_ms, &limits);
            }
            !idle
        });
    }

    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// The devices, IPs and cards `user` was seen with that are still remembered (within each
    /// set's retention of the newest time seen), most recent first.
    pub fn sightings(&self, user: UserId) -> Sightings {
        let Some(state) = self.users.get(&user) else {
            return Sightings::default();
        };
        let (now, limits) = (self.last_now, self.limits);
        let ips = state.ips.remembered(now, limits.ips.retention_ms);
        Sightings {
            devices: newest_first(state.devices.remembered(now, limits.devices.retention_ms)),
            ips: newest_first(
                ips.into_iter()
                    .map(|s| Sighting {
                        key: ip_of_key(s.key),
                        first_ms: s.first_ms,
                        last_ms: s.last_ms,
                    })
                    .collect(),
            ),
            cards: newest_first(state.cards.remembered(now, limits.cards.retention_ms)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

impl UserState {
    /// Loads what [`UserFeatureStore::features`] and [`UserFeatureStore::observe`] will read
    /// (see `EntityState::warm`).
    pub(crate) fn warm(&self) -> i64 {
        self.tally.warm()
            ^ self.devices.warm()
            ^ self.ips.warm()
            ^ self.merchants.warm()
            ^ self.cards.warm()
            ^ self.places.warm()
            ^ self.last_ms.unwrap_or(0)
    }

    /// Loads the rest of the sets (after the `warm` of every key).
    pub(crate) fn warm_rows(&self) -> i64 {
        self.devices.warm_rows()
            ^ self.ips.warm_rows()
            ^ self.merchants.warm_rows()
            ^ self.cards.warm_rows()
            ^ self.places.warm_rows()
    }

    fn features(&mut self, input: &CheckpointInput, now: i64, limits: &UserLimits) -> UserFeatures {
        let current = Tally::of_event(input);
        let (prior, raw_saturated) = self.tally.windows(now);
        let ip = ip_key(input.ip);
        let device_first = self.devices.first_seen(input.device, now, limits.devices.retention_ms);
        let account_first = self
            .first_ms
            .filter(|_| self.last_ms.is_some_and(|l| now - l <= limits.retention_ms));
        let (usual_places, km_from_usual) = self.usual_places(input.geo, now);
        let (km_from_last, kmh_from_last) = self.distance_from_last(input.geo, now);
        let prior_30d = prior.d30;
        UserFeatures {
            tally: prior.map(|t| t.plus(&current)),
            distinct_devices: self.devices.counts(Some(input.device), now),
            distinct_ips: self.ips.counts(Some(ip), now),
            distinct_merchants: self.merchants.counts(input.payment_amount().and(input.merchant()), now),
            distinct_cards: self.cards.counts(input.card(), now),
            account_age_days: account_first.map_or(0, |f| whole_units(now - f, DAY_MS)),
            device_age_hours: device_first.map_or(0, |(f, _)| whole_units(now - f, HOUR_MS)),
            usual_places,
            km_from_usual,
            km_from_last,
            kmh_from_last,
            payment_mean_30d_fen: (prior_30d.payments > 0)
                .then(|| prior_30d.payment_amount_fen / i64::from(prior_30d.payments)),
            amount_vs_mean_pct: amount_vs_mean_pct(input, &prior_30d),
            saturated: raw_saturated
                || self.sets_saturated(now, limits)
                || device_first.is_some_and(|(_, uncertain)| uncertain),
        }
    }

    fn usual_places(&self, geo: Option<Geo>, now: i64) -> (u32, Option<u32>) {
        let mut count = 0u32;
        let mut nearest: Option<f64> = None;
        for cell in self.places.in_window(Window::D30, now) {
            count += 1;
            if let Some(geo) = geo {
                let km = distance_km(degrees(geo), cell_center(cell));
                nearest = Some(nearest.map_or(km, |n| n.min(km)));
            }
        }
        (count, nearest.map(whole_km))
    }

    fn distance_from_last(&self, geo: Option<Geo>, now: i64) -> (Option<u32>, Option<u32>) {
        let (Some(geo), Some((last_ms, last_geo))) = (geo, self.last_geo) else {
            return (None, None);
        };
        if !Window::D30.contains(last_ms, now) {
            return (None, None);
        }
        let km = distance_km(degrees(last_geo), degrees(geo));
        (Some(whole_km(km)), Some(speed_kmh(km, now - last_ms)))
    }

    fn sets_saturated(&self, now: i64, limits: &UserLimits) -> bool {
        self.devices.saturated(now, limits.devices.retention_ms)
            || self.ips.saturated(now, limits.ips.retention_ms)
            || self.merchants.saturated(now, limits.merchants.retention_ms)
            || self.cards.saturated(now, limits.cards.retention_ms)
            || self.places.saturated(now, limits.places.retention_ms)
    }

    // --- own-history features (issue 16)

    fn history_features(
        &self,
        input: &CheckpointInput,
        now: i64,
        limits: &UserLimits,
    ) -> super::history::HistoryFeatures {
        let alive = self.last_ms.is_some_and(|l| now - l <= limits.retention_ms);
        let retention = limits.merchants.retention_ms;
        let mut new_merchants = self.merchants.first_seen_in(Window::H24, now, retention);
        if let (Some(merchant), Some(_)) = (input.merchant(), input.payment_amount())
            && self.merchants.first_seen(merchant, now, retention).is_none()
        {
            new_merchants += 1;
        }
        self.history.features(input, now, alive, self.last_ms, new_merchants)
    }

    fn observe(&mut self, input: &CheckpointInput, tally: &Tally, now: i64, limits: &UserLimits) {
        let restart = self.last_ms.is_none_or(|last| now - last > limits.retention_ms);
        self.history.observe(input, now, restart);
        if restart {
            self.first_ms = Some(now);
        }
        self.last_ms = Some(now);
        self.tally.observe(now, tally, limits.raw_cap);
        self.devices.touch(input.device, now, limits.devices);
        self.ips.touch(ip_key(input.ip), now, limits.ips);
        if let (Some(merchant), Some(_)) = (input.merchant(), input.payment_amount()) {
            self.merchants.touch(merchant, now, limits.merchants);
        }
        if let Some(card) = input.card() {
            self.cards.touch(card, now, limits.cards);
        }
        if let Some(geo) = input.geo {
            self.places.touch(cell_of(geo), now, limits.places);
            self.last_geo = Some((now, geo));
        }
    }

    fn trim(&mut self, now: i64, limits: &UserLimits) {
        self.tally.advance(now);
        self.devices.purge(now, limits.devices.retention_ms);
        self.ips.purge(now, limits.ips.retention_ms);
        self.merchants.purge(now, limits.merchants.retention_ms);
        self.cards.purge(now, limits.cards.retention_ms);
        self.places.purge(now, limits.places.retention_ms);
    }
}

/// `this payment * payments / sum * 100`, rounded down: the payment against the prior mean.
fn amount_vs_mean_pct(input: &CheckpointInput, prior_30d: &Tally) -> Option<u32> {
    let amount = input.payment_amount()?.fen().max(0);
    if prior_30d.payments == 0 || prior_30d.payment_amount_fen <= 0 {
        return None;
    }
    let pct = i128::from(amount) * i128::from(prior_30d.payments) * 100 / i128::from(prior_30d.payment_amount_fen);
    Some(u32::try_from(pct).unwrap_or(u32::MAX))
}

fn whole_units(ms: i64, unit_ms: i64) -> u32 {
    u32::try_from(ms.max(0) / unit_ms).unwrap_or(u32::MAX)
}

/// A [`UserFeatureStore`]'s state.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct UserFeaturesSnapshot {
    pub(super) users: Vec<(UserId, UserState)>,
    pub(super) last_now: i64,
}
