//! [`BindingStore`]: which devices an account has bound (at activation or a device change that
//! was not denied) and which it logged in from (a login whose password check passed and that
//! was not denied), so a payment can tell a device the account knows from one it merely
//! reports. Device ids are self-reported: binding says "this id went through a stronger
//! checkpoint on this account", not that the hardware is the same.
//!
//! Keyed by user, owned by the user's partition like [`super::UserFeatureStore`]. Each set holds
//! at most `cap` devices and forgets a device unused for `retention_ms`; when a set evicted a
//! device still within its retention, `saturated` says a `false` may be wrong.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::distinct::{DistinctSet, SetLimits};
use super::window::DAY_MS;
use crate::checkpoint::{CheckpointDetail, CheckpointInput};
use crate::ids::{DeviceId, Timestamp, UserId};

/// The binding features of one evaluation's device on its account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindingFeatures {
    /// The device was bound to the account (activation or device change) before this event.
    pub device_bound: bool,
    /// The device logged in to the account (password passed) before this event.
    pub device_seen_at_login: bool,
    /// Devices bound to the account and still remembered.
    pub bound_devices: u32,
    /// A set evicted a device still within its retention: a `false` may be wrong.
    pub saturated: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct Binding {
    bound: DistinctSet<DeviceId>,
    logins: DistinctSet<DeviceId>,
    last_ms: i64,
}

/// Per-account device bindings of one partition.
#[derive(Debug)]
pub struct BindingStore {
    users: HashMap<UserId, Binding, ahash::RandomState>,
    limits: SetLimits,
    last_now: i64,
}

/// Binding limits: 16 devices a set, forgotten after 180 days unused.
pub const BINDING_LIMITS: SetLimits = SetLimits {
    cap: 16,
    retention_ms: 180 * DAY_MS,
};

impl BindingStore {
    /// The store's state (see `snapshot.rs`).
    pub fn snapshot(&self) -> BindingSnapshot {
        BindingSnapshot {
            users: super::snapshot::sorted(&self.users),
            last_now: self.last_now,
        }
    }

    /// A store with `snapshot`'s state.
    pub fn restore(limits: SetLimits, hash_seed: u64, snapshot: BindingSnapshot) -> BindingStore {
        let mut store = BindingStore::new(limits, hash_seed);
        super::snapshot::refill(&mut store.users, snapshot.users);
        store.last_now = snapshot.last_now;
        store
    }

    pub fn new(limits: SetLimits, hash_seed: u64) -> BindingStore {
        BindingStore {
            users: HashMap::with_hasher(ahash::RandomState::with_seeds(hash_seed, 0xb1, 0xb2, 0xb3)),
            limits,
            last_now: i64::MIN,
        }
    }

    /// The binding features of `input`'s device on its account at `now` (before `input`).
    pub fn features(&self, input: &CheckpointInput, now: Timestamp) -> BindingFeatures {
        let now = self.last_now.max(now.millis());
        let retention = self.limits.retention_ms;
        let Some(b) = self.users.get(&input.user) else {
            return BindingFeatures::default();
        };
        let remembered = |set: &DistinctSet<DeviceId>| set.first_seen(input.device, now, retention).is_some();
        BindingFeatures {
            device_bound: remembered(&b.bound),
            device_seen_at_login: remembered(&b.logins),
            bound_devices: u32::try_from(b.bound.remembered_len(now, retention)).unwrap_or(u32::MAX),
            saturated: b.bound.saturated(now, retention) || b.logins.saturated(now, retention),
        }
    }

    /// Records what `input` binds, after its decision (`denied`: nothing is bound).
    pub fn observe(&mut self, input: &CheckpointInput, denied: bool, now: Timestamp) {
        self.last_now = self.last_now.max(now.millis());
        let now = self.last_now;
        let binds = matches!(
            input.detail,
            CheckpointDetail::Activation | CheckpointDetail::DeviceChange { .. }
        );
        let login = matches!(input.detail, CheckpointDetail::Login { password_ok: true });
        if denied || !(binds || login) || input.device == DeviceId(0) {
            return;
        }
        let limits = self.limits;
        let b = self.users.entry(input.user).or_default();
        b.last_ms = now;
        if binds {
            b.bound.touch(input.device, now, limits);
        } else {
            b.logins.touch(input.device, now, limits);
        }
    }

    /// Forgets accounts with nothing bound for longer than the retention.
    pub fn sweep(&mut self, now: Timestamp) {
        let now = self.last_now.max(now.millis());
        let retention = self.limits.retention_ms;
        self.users.retain(|_, b| now - b.last_ms <= retention);
        for b in self.users.values_mut() {
            b.bound.purge(now, retention);
            b.logins.purge(now, retention);
        }
    }

    pub fn len(&self) -> usize {
        self.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

/// A [`BindingStore`]'s state.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct BindingSnapshot {
    pub(super) users: Vec<(UserId, Binding)>,
    pub(super) last_now: i64,
}
