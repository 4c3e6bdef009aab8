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

use super::window::{Window, Windowed};

#[derive(Clone, Copy, Debug)]
struct Seen<K> {
    key: K,
    first_ms: i64,
    last_ms: i64,
    /// Inserted while an evicted element was still remembered: `first_ms` may be late.
    uncertain: bool,
}

/// Limits of one distinct set: how many elements, and how long an unseen element is remembered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetLimits {
    pub cap: usize,
    pub retention_ms: i64,
}

#[derive(Clone, Debug)]
pub(crate) struct DistinctSet<K> {
    entries: Vec<Seen<K>>,
    evicted_upto: i64,
}

impl<K> Default for DistinctSet<K> {
    fn default() -> Self {
        DistinctSet {
            entries: Vec::new(),
            evicted_upto: i64::MIN,
        }
    }
}

impl<K: Copy + Eq> DistinctSet<K> {
    /// Records a sighting of `key` at `now_ms`.
    pub fn touch(&mut self, key: K, now_ms: i64, limits: SetLimits) {
        if let Some(seen) = self.entries.iter_mut().find(|s| s.key == key) {
            if now_ms - seen.last_ms > limits.retention_ms {
                seen.first_ms = now_ms;
                seen.uncertain = false;
            }
            seen.last_ms = now_ms;
            return;
        }
        if self.entries.len() >= limits.cap.max(1) {
            self.purge(now_ms, limits.retention_ms);
        }
        while self.entries.len() >= limits.cap.max(1) {
            self.evict_least_recent();
        }
        let uncertain = self.saturated(now_ms, limits.retention_ms);
        self.entries.push(Seen {
            key,
            first_ms: now_ms,
            last_ms: now_ms,
            uncertain,
        });
    }

    fn evict_least_recent(&mut self) {
        let oldest = self
            .entries
            .iter()
            .enumerate()
            .min_by_key(|(_, s)| s.last_ms)
            .map(|(i, _)| i);
        if let Some(i) = oldest {
            let gone = self.entries.swap_remove(i);
            self.evicted_upto = self.evicted_upto.max(gone.last_ms);
        }
    }

    /// Forgets elements not seen for longer than `retention_ms`.
    pub fn purge(&mut self, now_ms: i64, retention_ms: i64) {
        self.entries.retain(|s| now_ms - s.last_ms <= retention_ms);
    }

    /// Distinct elements per window at `now_ms`, counting `current` as seen now.
    pub fn counts(&self, current: Option<K>, now_ms: i64) -> Windowed<u32> {
        let cut = Window::ALL.map(|w| w.cutoff(now_ms));
        let mut counts = [0u32; 4];
        for seen in &self.entries {
            if Some(seen.key) == current {
                continue;
            }
            for (count, cutoff) in counts.iter_mut().zip(cut) {
                *count += u32::from(seen.last_ms >= cutoff);
            }
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
        self.entries
            .iter()
            .find(|s| s.key == key && now_ms - s.last_ms <= retention_ms)
            .map(|s| (s.first_ms, s.uncertain))
    }

    /// The remembered elements last seen in `window` at `now_ms`.
    pub fn in_window(&self, window: Window, now_ms: i64) -> impl Iterator<Item = K> + '_ {
        let cutoff = window.cutoff(now_ms);
        self.entries.iter().filter(move |s| s.last_ms >= cutoff).map(|s| s.key)
    }

    /// Whether an evicted element would still be remembered: answers may then be low.
    pub fn saturated(&self, now_ms: i64, retention_ms: i64) -> bool {
        self.evicted_upto != i64::MIN && now_ms - self.evicted_upto <= retention_ms
    }
}
