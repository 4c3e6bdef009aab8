//! [`DistinctSet`]: the distinct elements seen with one key (devices of a user, users of a device,
//! ...), each with its first and last sighting, capped at a fixed number of elements.
//!
//! An element is in a window iff its last sighting is (see [`Window::contains`]), so distinct
//! counts are exact. An element not seen for longer than the retention is forgotten: seen again,
//! its first sighting restarts (that is what "age of the device on the account" means). When the
//! set is full, expired elements go first, then the least recently seen one; `evicted_upto`
//! remembers the newest last sighting evicted so, and while that is within the retention the
//! answers may be low (an evicted element would still count) and [`DistinctSet::saturated`] says
//! so. An element inserted while that holds might be an evicted one coming back, so its first
//! sighting is only a lower bound until its run of sightings ends ([`DistinctSet::first_seen`]
//! says so).

use serde::{Deserialize, Serialize};

use super::sightings::Sighting;
use super::window::{Window, Windowed};

/// The part of an element every query reads: scans of a set read these rows only, so they are
/// kept apart from the rarely read first sightings (16 bytes a row for most keys, not 32).
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
struct Seen<K> {
    key: K,
    last_ms: i64,
}

/// When an element was first seen in its current run of sightings (row `i` of
/// `DistinctSet::first` belongs to row `i` of `DistinctSet::seen`).
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
struct First {
    ms: i64,
    /// Inserted while an evicted element was still remembered: `ms` may be late.
    uncertain: bool,
}

/// Limits of one distinct set: how many elements, and how long an unseen element is remembered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetLimits {
    pub cap: usize,
    pub retention_ms: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct DistinctSet<K> {
    seen: Vec<Seen<K>>,
    first: Vec<First>,
    evicted_upto: i64,
}

impl<K> Default for DistinctSet<K> {
    fn default() -> Self {
        DistinctSet {
            seen: Vec::new(),
            first: Vec::new(),
            evicted_upto: i64::MIN,
        }
    }
}

impl<K: Copy + Eq> DistinctSet<K> {
    fn find(&self, key: K) -> Option<usize> {
        self.seen.iter().position(|s| s.key == key)
    }

    /// Records a sighting of `key` at `now_ms`.
    pub fn touch(&mut self, key: K, now_ms: i64, limits: SetLimits) {
        if let Some(row) = self.find(key) {
            if now_ms - self.seen[row].last_ms > limits.retention_ms {
                self.first[row] = First {
                    ms: now_ms,
                    uncertain: false,
                };
            }
            self.seen[row].last_ms = now_ms;
            return;
        }
        if self.seen.len() >= limits.cap.max(1) {
            self.purge(now_ms, limits.retention_ms);
        }
        while self.seen.len() >= limits.cap.max(1) {
            self.evict_least_recent();
        }
        let uncertain = self.saturated(now_ms, limits.retention_ms);
        self.seen.push(Seen { key, last_ms: now_ms });
        self.first.push(First { ms: now_ms, uncertain });
    }

    fn evict_least_recent(&mut self) {
        let oldest = self
            .seen
            .iter()
            .enumerate()
            .min_by_key(|(_, s)| s.last_ms)
            .map(|(i, _)| i);
        if let Some(i) = oldest {
            let gone = self.seen.swap_remove(i);
            self.first.swap_remove(i);
            self.evicted_upto = self.evicted_upto.max(gone.last_ms);
        }
    }

    /// Forgets elements not seen for longer than `retention_ms`.
    pub fn purge(&mut self, now_ms: i64, retention_ms: i64) {
        let keep = |s: &Seen<K>| now_ms - s.last_ms <= retention_ms;
        if self.seen.iter().all(keep) {
            return;
        }
        let mut kept = 0;
        for row in 0..self.seen.len() {
            if keep(&self.seen[row]) {
                self.seen[kept] = self.seen[row];
                self.first[kept] = self.first[row];
                kept += 1;
            }
        }
        self.seen.truncate(kept);
        self.first.truncate(kept);
    }

    /// Distinct elements per window at `now_ms`, counting `current` as seen now.
    pub fn counts(&self, current: Option<K>, now_ms: i64) -> Windowed<u32> {
        let cut = Window::ALL.map(|w| w.cutoff(now_ms));
        // The windows are nested, so the cutoffs descend and an element outside one window is
        // outside every shorter one: most elements take one or two well-predicted branches.
        debug_assert!(cut.windows(2).all(|pair| pair[0] >= pair[1]));
        let mut counts = [0u32; 4];
        let mut count = |last: i64| {
            if last >= cut[3] {
                counts[3] += 1;
                if last >= cut[2] {
                    counts[2] += 1;
                    counts[1] += u32::from(last >= cut[1]);
                    counts[0] += u32::from(last >= cut[0]);
                }
            }
        };
        match current {
            Some(key) => self.seen.iter().filter(|s| s.key != key).for_each(|s| count(s.last_ms)),
            None => self.seen.iter().for_each(|s| count(s.last_ms)),
        }
        let extra = u32::from(current.is_some());
        Windowed {
            m5: counts[0] + extra,
            h1: counts[1] + extra,
            h24: counts[2] + extra,
            d30: counts[3] + extra,
        }
    }

    /// When `key` was first seen (in its current run of sightings), if it is remembered, and
    /// whether that time may be late (the key may have been evicted earlier in the run).
    pub fn first_seen(&self, key: K, now_ms: i64, retention_ms: i64) -> Option<(i64, bool)> {
        let row = self.find(key)?;
        (now_ms - self.seen[row].last_ms <= retention_ms).then(|| (self.first[row].ms, self.first[row].uncertain))
    }

    /// How many remembered elements (still within the retention) were first seen in `window`.
    pub fn first_seen_in(&self, window: Window, now_ms: i64, retention_ms: i64) -> u32 {
        let fresh = self
            .seen
            .iter()
            .zip(&self.first)
            .filter(|(s, f)| now_ms - s.last_ms <= retention_ms && window.contains(f.ms, now_ms))
            .count();
        u32::try_from(fresh).unwrap_or(u32::MAX)
    }

    /// The remembered elements last seen in `window` at `now_ms`.
    pub fn in_window(&self, window: Window, now_ms: i64) -> impl Iterator<Item = K> + '_ {
        let cutoff = window.cutoff(now_ms);
        self.seen.iter().filter(move |s| s.last_ms >= cutoff).map(|s| s.key)
    }

    /// Loads the first line of the elements; returns a value only so the load is kept.
    pub fn warm(&self) -> i64 {
        self.seen.first().map_or(0, |s| s.last_ms) ^ self.evicted_upto
    }

    /// Loads every line of the elements a count scans, all at once rather than one after the
    /// other as the scan would (see `FeatureStore::features_for`).
    pub fn warm_rows(&self) -> i64 {
        let per_line = (64 / std::mem::size_of::<Seen<K>>()).max(1);
        self.seen.iter().step_by(per_line).fold(0, |x, s| x ^ s.last_ms)
    }

    /// Whether an evicted element would still be remembered: answers may then be low.
    pub fn saturated(&self, now_ms: i64, retention_ms: i64) -> bool {
        self.evicted_upto != i64::MIN && now_ms - self.evicted_upto <= retention_ms
    }

    /// How many elements are remembered at `now_ms` (without building the list).
    pub fn remembered_len(&self, now_ms: i64, retention_ms: i64) -> usize {
        self.seen.iter().filter(|s| now_ms - s.last_ms <= retention_ms).count()
    }

    /// Every element remembered at `now_ms`, with its first and last sighting.
    pub fn remembered(&self, now_ms: i64, retention_ms: i64) -> Vec<Sighting<K>> {
        self.seen
            .iter()
            .zip(&self.first)
            .filter(|(s, _)| now_ms - s.last_ms <= retention_ms)
            .map(|(s, f)| Sighting {
                key: s.key,
                first_ms: f.ms,
                last_ms: s.last_ms,
            })
            .collect()
    }
}
