//! [`LinkGraph`]: accounts joined by what they share — a device, an IP address, a bank card —
//! as connected components kept incrementally by a union-find, each component with its size,
//! how many of its accounts have confirmed fraud, and when its oldest account joined.
//!
//! Which keys link (the exact rule, which the naive twin in the tests recomputes from scratch):
//! a key links the first `cap` distinct accounts seen with it, in order; once a further account
//! comes, the key is *crowded* and links no one else (the links it made stay: a union-find cannot
//! split). Caps: [`LinkLimits`] — small for IPs because carrier-grade NAT and office networks
//! put thousands of strangers behind one address, larger for devices and cards. Unknown values
//! (device 0, IP 0.0.0.0, card 0: what the shell sends when it does not know) never link.
//! Merchants do not link: a merchant is shared by all its buyers by design.
//!
//! The graph does not forget (a link is history, and component sizes must not shrink under a
//! fraud ring that pauses). Memory is bounded by `max_accounts` and `max_keys`: past them new
//! accounts or keys are not added and every answer says `saturated` from then on. The graph is
//! one value; the engine keeps it behind one mutex held for one query or one observation.

use std::collections::HashMap;
use std::net::IpAddr;

use super::user::ip_key;
use super::vector::GraphFeatures;
use super::window::DAY_MS;
use crate::ids::{CardToken, DeviceId, Timestamp, UserId};

/// A shared value that can link accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum LinkKey {
    Device(DeviceId),
    Ip(u128),
    Card(CardToken),
}

impl LinkKey {
    /// The keys of one event that may link (unknown values left out).
    pub fn of(device: DeviceId, ip: IpAddr, card: Option<CardToken>) -> impl Iterator<Item = LinkKey> {
        let ip = (!ip.is_unspecified()).then(|| LinkKey::Ip(ip_key(ip)));
        let device = (device != DeviceId(0)).then_some(LinkKey::Device(device));
        let card = card.filter(|c| *c != CardToken(0)).map(LinkKey::Card);
        [device, ip, card].into_iter().flatten()
    }
}

/// The graph's bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkLimits {
    /// Accounts a device links before it is crowded.
    pub device_cap: u32,
    pub ip_cap: u32,
    pub card_cap: u32,
    pub max_accounts: usize,
    pub max_keys: usize,
}

impl Default for LinkLimits {
    fn default() -> Self {
        LinkLimits {
            device_cap: 16,
            ip_cap: 4,
            card_cap: 8,
            max_accounts: 4_000_000,
            max_keys: 8_000_000,
        }
    }
}

impl LinkLimits {
    fn cap(&self, key: LinkKey) -> u32 {
        match key {
            LinkKey::Device(_) => self.device_cap,
            LinkKey::Ip(_) => self.ip_cap,
            LinkKey::Card(_) => self.card_cap,
        }
    }
}

/// A component's totals, kept at its root.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Root {
    size: u32,
    fraud: u32,
    first_ms: i64,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct KeyState {
    /// The accounts the key linked (at most its cap).
    accounts: Vec<u32>,
    crowded: bool,
}

/// The incremental link graph.
#[derive(Debug)]
pub struct LinkGraph {
    index: HashMap<UserId, u32, ahash::RandomState>,
    parent: Vec<u32>,
    /// Totals of each node, meaningful at roots only.
    roots: Vec<Root>,
    fraud: Vec<bool>,
    keys: HashMap<LinkKey, KeyState, ahash::RandomState>,
    limits: LinkLimits,
    saturated: bool,
    last_now: i64,
}

impl LinkGraph {
    pub fn new(limits: LinkLimits, hash_seed: u64) -> LinkGraph {
        let hasher = || ahash::RandomState::with_seeds(hash_seed, 0x11, 0x12, 0x13);
        LinkGraph {
            index: HashMap::with_hasher(hasher()),
            parent: Vec::new(),
            roots: Vec::new(),
            fraud: Vec::new(),
            keys: HashMap::with_hasher(hasher()),
            limits,
            saturated: false,
            last_now: i64::MIN,
        }
    }

    /// The graph's state (see `snapshot.rs`).
    pub fn snapshot(&self) -> LinkGraphSnapshot {
        use super::snapshot::sorted;
        LinkGraphSnapshot {
            index: sorted(&self.index),
            parent: self.parent.clone(),
            roots: self.roots.clone(),
            fraud: self.fraud.clone(),
            keys: sorted(&self.keys),
            saturated: self.saturated,
            last_now: self.last_now,
        }
    }

    /// A graph with `snapshot`'s state; refused when its node numbers do not hold together
    /// (a later query would index out of bounds).
    pub fn restore(limits: LinkLimits, hash_seed: u64, snapshot: LinkGraphSnapshot) -> Result<LinkGraph, &'static str> {
        let nodes = snapshot.parent.len();
        let fits = |node: u32| (node as usize) < nodes;
        let consistent = snapshot.roots.len() == nodes
            && snapshot.fraud.len() == nodes
            && snapshot.parent.iter().all(|&p| fits(p))
            && snapshot.index.iter().all(|&(_, n)| fits(n))
            && snapshot.keys.iter().all(|(_, k)| k.accounts.iter().all(|&n| fits(n)));
        if !consistent {
            return Err("a link graph whose node numbers do not hold together");
        }
        let mut graph = LinkGraph::new(limits, hash_seed);
        super::snapshot::refill(&mut graph.index, snapshot.index);
        graph.parent = snapshot.parent;
        graph.roots = snapshot.roots;
        graph.fraud = snapshot.fraud;
        super::snapshot::refill(&mut graph.keys, snapshot.keys);
        graph.saturated = snapshot.saturated;
        graph.last_now = snapshot.last_now;
        Ok(graph)
    }

    fn find(&mut self, mut node: u32) -> u32 {
        while self.parent[node as usize] != node {
            let grand = self.parent[self.parent[node as usize] as usize];
            self.parent[node as usize] = grand;
            node = grand;
        }
        node
    }

    fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (big, small) = if self.roots[ra as usize].size >= self.roots[rb as usize].size {
            (ra, rb)
        } else {
            (rb, ra)
        };
        self.parent[small as usize] = big;
        let s = self.roots[small as usize];
        let b = &mut self.roots[big as usize];
        b.size = b.size.saturating_add(s.size);
        b.fraud = b.fraud.saturating_add(s.fraud);
        b.first_ms = b.first_ms.min(s.first_ms);
    }

    fn node(&mut self, user: UserId, now: i64) -> Option<u32> {
        if let Some(&n) = self.index.get(&user) {
            return Some(n);
        }
        if self.parent.len() >= self.limits.max_accounts {
            self.saturated = true;
            return None;
        }
        let n = self.parent.len() as u32;
        self.index.insert(user, n);
        self.parent.push(n);
        self.roots.push(Root {
            size: 1,
            fraud: 0,
            first_ms: now,
        });
        self.fraud.push(false);
        Some(n)
    }

    /// Whether an event of `node` (none: not in the graph yet) on `key` links through it, and
    /// to which account.
    fn link_of(&self, key: LinkKey, node: Option<u32>) -> Option<u32> {
        let state = self.keys.get(&key)?;
        let first = *state.accounts.first()?;
        let member = node.is_some_and(|n| state.accounts.contains(&n));
        let room = !state.crowded && state.accounts.len() < self.limits.cap(key) as usize;
        (member || room).then_some(first)
    }

    /// The features of an event of `user` with `keys` at `now`, as if it were observed.
    pub fn features(&mut self, user: UserId, keys: impl Iterator<Item = LinkKey>, now: Timestamp) -> GraphFeatures {
        let now = self.last_now.max(now.millis());
        let node = self.index.get(&user).copied();
        let mut seen: [u32; 4] = [u32::MAX; 4];
        let mut count = 0;
        let mut total = Root {
            size: u32::from(node.is_none()),
            fraud: 0,
            first_ms: now,
        };
        // At most three keys and the account itself: no allocation.
        let mut links = [u32::MAX; 4];
        let mut n_links = 0;
        for n in keys.filter_map(|k| self.link_of(k, node)).chain(node) {
            if n_links < links.len() {
                links[n_links] = n;
                n_links += 1;
            }
        }
        for &n in &links[..n_links] {
            let r = self.find(n);
            if seen[..count].contains(&r) {
                continue;
            }
            seen[count] = r;
            count += 1;
            let root = self.roots[r as usize];
            total.size = total.size.saturating_add(root.size);
            total.fraud = total.fraud.saturating_add(root.fraud);
            total.first_ms = total.first_ms.min(root.first_ms);
        }
        GraphFeatures {
            component_size: total.size,
            component_fraud: total.fraud,
            component_age_days: u32::try_from((now - total.first_ms).max(0) / DAY_MS).unwrap_or(u32::MAX),
            saturated: self.saturated,
        }
    }

    /// Records an event of `user` with `keys` at `now`.
    pub fn observe(&mut self, user: UserId, keys: impl Iterator<Item = LinkKey>, now: Timestamp) {
        self.last_now = self.last_now.max(now.millis());
        let Some(node) = self.node(user, self.last_now) else {
            return;
        };
        for key in keys {
            let cap = self.limits.cap(key) as usize;
            let full = self.keys.len() >= self.limits.max_keys;
            let state = match self.keys.get_mut(&key) {
                Some(state) => state,
                None if full => {
                    self.saturated = true;
                    continue;
                }
                None => self.keys.entry(key).or_insert(KeyState {
                    accounts: Vec::new(),
                    crowded: false,
                }),
            };
            if state.accounts.contains(&node) || state.crowded {
                continue;
            }
            if state.accounts.len() >= cap {
                state.crowded = true;
                continue;
            }
            state.accounts.push(node);
            let first = state.accounts[0];
            self.union(first, node);
        }
    }

    /// Records a confirmed fraud case on `user` (once per account; an account not in the graph
    /// enters it alone).
    pub fn confirm_fraud(&mut self, user: UserId, now: Timestamp) {
        self.last_now = self.last_now.max(now.millis());
        let Some(node) = self.node(user, self.last_now) else {
            return;
        };
        if std::mem::replace(&mut self.fraud[node as usize], true) {
            return;
        }
        let r = self.find(node);
        self.roots[r as usize].fraud += 1;
    }

    /// Accounts and keys held.
    pub fn len(&self) -> (usize, usize) {
        (self.parent.len(), self.keys.len())
    }
}

/// A [`LinkGraph`]'s state (node numbers kept: `parent` refers to them).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct LinkGraphSnapshot {
    pub(super) index: Vec<(UserId, u32)>,
    pub(super) parent: Vec<u32>,
    pub(super) roots: Vec<Root>,
    pub(super) fraud: Vec<bool>,
    pub(super) keys: Vec<(LinkKey, KeyState)>,
    pub(super) saturated: bool,
    pub(super) last_now: i64,
}
