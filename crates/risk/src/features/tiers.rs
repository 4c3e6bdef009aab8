//! [`WindowedTally`]: exact counts and sums of one key over the four windows, in bounded memory.
//!
//! Three tiers, each a deque of (index, what the events add) in time order with running totals:
//! - raw events (index = ms) for the 5 min and 1 h windows, at most `raw_cap` entries;
//! - minute buckets (index = minute) for the 24 h window, at most 1,440 entries;
//! - hour buckets (index = hour) for the 30 d window, at most 720 entries.
//!
//! Every event goes into all three. A tier keeps, per window, how many of its newest entries are
//! inside the window and their total; moving time forward only ever drops entries from the old
//! end, so every query is amortized O(1). When the raw tier is full, its oldest event is dropped
//! (it still counts in the minute and hour tiers) and `dropped_upto` remembers its time: a short
//! window that still contains that time is a lower bound, and [`WindowedTally::windows`] says so.
//!
//! An entry is 24 bytes (index, amount, counts packed into one word; see `Entry`), so a key's
//! entries take a third of the memory and cache lines a `(index, Tally)` would.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::tally::Tally;
use super::window::{D30_HOURS, H24_MINUTES, HOUR_MS, M5_MS, Windowed, hour, minute};

/// One entry: its index and what it adds, in 24 bytes rather than a [`Tally`]'s 56. The counts
/// of an entry are almost always small (one event, or a few in the same minute or hour), so
/// they are packed [`COUNT_BITS`] bits each into one word; an entry whose counts do not fit
/// keeps them in its tier's [`Wide`] store instead, and its word says where.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
struct Entry {
    idx: i64,
    /// The payment amount (fen) when the counts are packed; unused when they are wide.
    amount: i64,
    /// The packed counts, or [`WIDE`] plus the sequence number of the entry's wide tally.
    counts: u64,
}

const COUNT_BITS: u32 = 5;
const COUNT_MAX: u32 = (1 << COUNT_BITS) - 1;
const WIDE: u64 = 1 << 63;

/// The counters of a tally, in a fixed order.
fn counters(t: &Tally) -> [u32; 11] {
    [
        t.events,
        t.logins,
        t.failed_logins,
        t.device_changes,
        t.activations,
        t.credit_applications,
        t.payments,
        t.profile_changes,
        t.repayments,
        t.deliveries,
        t.denials,
    ]
}

/// The counts of `t` packed into one word, if each fits in [`COUNT_BITS`] bits.
fn pack(t: &Tally) -> Option<u64> {
    let counts = counters(t);
    // A count above the maximum has a bit above the packed width, so the OR of all does too.
    if counts.iter().fold(0, |any, &count| any | count) > COUNT_MAX {
        return None;
    }
    Some(counts.iter().enumerate().fold(0, |word, (i, &count)| {
        word | (u64::from(count) << (i as u32 * COUNT_BITS))
    }))
}

fn unpack(word: u64, amount: i64) -> Tally {
    let c = |i: u32| ((word >> (i * COUNT_BITS)) & u64::from(COUNT_MAX)) as u32;
    Tally {
        events: c(0),
        logins: c(1),
        failed_logins: c(2),
        device_changes: c(3),
        activations: c(4),
        credit_applications: c(5),
        payments: c(6),
        profile_changes: c(7),
        repayments: c(8),
        deliveries: c(9),
        denials: c(10),
        payment_amount_fen: amount,
    }
}

/// The tallies of a tier's wide entries, oldest first (entries come and go in time order, so
/// their wide tallies do too); `first` is the sequence number of the oldest.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Wide {
    tallies: VecDeque<Tally>,
    first: u64,
}

/// Entries in time order plus, for `W` nested windows (spans ascending, in index units), the
/// number of newest entries inside each window, their sum, and the index of the oldest of them
/// (so a query that expires nothing does not touch the entries at all).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(into = "TierRepr", try_from = "TierRepr")]
struct Tier<const W: usize> {
    entries: VecDeque<Entry>,
    spans: [i64; W],
    lens: [usize; W],
    totals: [Tally; W],
    /// Index of the oldest entry window `k` counts; `i64::MAX` when it counts none.
    oldest: [i64; W],
    /// Index of the newest entry; `i64::MIN` when there is none. A push compares with it
    /// rather than with the entry itself, which is rarely in cache.
    newest: i64,
    /// Tallies of entries whose counts do not pack; allocated on first need.
    wide: Option<Box<Wide>>,
}

/// How a [`Tier`] is written in a feature snapshot: its arrays as sequences (serde has no
/// arrays of a generic length), refused on the way back if a length is not `W`.
#[derive(Serialize, Deserialize)]
struct TierRepr {
    entries: VecDeque<Entry>,
    spans: Vec<i64>,
    lens: Vec<usize>,
    totals: Vec<Tally>,
    oldest: Vec<i64>,
    newest: i64,
    wide: Option<Box<Wide>>,
}

impl<const W: usize> From<Tier<W>> for TierRepr {
    fn from(t: Tier<W>) -> TierRepr {
        TierRepr {
            entries: t.entries,
            spans: t.spans.to_vec(),
            lens: t.lens.to_vec(),
            totals: t.totals.to_vec(),
            oldest: t.oldest.to_vec(),
            newest: t.newest,
            wide: t.wide,
        }
    }
}

impl<const W: usize> TryFrom<TierRepr> for Tier<W> {
    type Error = &'static str;

    fn try_from(r: TierRepr) -> Result<Tier<W>, &'static str> {
        const WRONG: &str = "a window tier of another width";
        Ok(Tier {
            entries: r.entries,
            spans: r.spans.try_into().map_err(|_| WRONG)?,
            lens: r.lens.try_into().map_err(|_| WRONG)?,
            totals: r.totals.try_into().map_err(|_| WRONG)?,
            oldest: r.oldest.try_into().map_err(|_| WRONG)?,
            newest: r.newest,
            wide: r.wide,
        })
    }
}

impl<const W: usize> Tier<W> {
    fn new(spans: [i64; W]) -> Self {
        Tier {
            entries: VecDeque::new(),
            spans,
            lens: [0; W],
            totals: [Tally::default(); W],
            oldest: [i64::MAX; W],
            newest: i64::MIN,
            wide: None,
        }
    }

    /// What `entry` adds.
    fn tally(&self, entry: &Entry) -> Tally {
        if entry.counts & WIDE == 0 {
            return unpack(entry.counts, entry.amount);
        }
        let wide = self.wide.as_deref().expect("a wide entry has a wide store");
        wide.tallies[(entry.counts & !WIDE).wrapping_sub(wide.first) as usize]
    }

    /// An entry for `tally` at `idx`, storing the tally in the wide store if it does not pack.
    fn entry(&mut self, idx: i64, tally: &Tally) -> Entry {
        let (counts, amount) = match pack(tally) {
            Some(counts) => (counts, tally.payment_amount_fen),
            None => {
                let wide = self.wide.get_or_insert_with(Box::default);
                let seq = wide.first.wrapping_add(wide.tallies.len() as u64);
                wide.tallies.push_back(*tally);
                (WIDE | seq, 0)
            }
        };
        Entry { idx, amount, counts }
    }

    /// Drops from each window the entries that left it by index `cur`, then drops entries that
    /// left the widest window.
    fn advance(&mut self, cur: i64) {
        let n = self.entries.len();
        for k in 0..W {
            if self.oldest[k] > cur - self.spans[k] {
                continue;
            }
            while self.lens[k] > 0 {
                let entry = self.entries[n - self.lens[k]];
                if entry.idx > cur - self.spans[k] {
                    break;
                }
                let tally = self.tally(&entry);
                self.totals[k].sub(&tally);
                self.lens[k] -= 1;
            }
            self.refresh_oldest(k);
        }
        while self.entries.len() > self.lens[W - 1] {
            self.pop_front();
        }
    }

    fn refresh_oldest(&mut self, k: usize) {
        let n = self.entries.len();
        self.oldest[k] = match self.lens[k] {
            0 => i64::MAX,
            len => self.entries[n - len].idx,
        };
    }

    /// Adds `tally` at index `idx`, the current index (never older than the newest entry).
    fn push(&mut self, idx: i64, tally: &Tally) {
        match self.entries.back().copied() {
            Some(back) if self.newest == idx => {
                if back.counts & WIDE != 0 {
                    let wide = self.wide.as_deref_mut().expect("a wide entry has a wide store");
                    if let Some(sum) = wide.tallies.back_mut() {
                        sum.add(tally);
                    }
                } else {
                    let sum = unpack(back.counts, back.amount).plus(tally);
                    let merged = self.entry(idx, &sum);
                    if let Some(slot) = self.entries.back_mut() {
                        *slot = merged;
                    }
                }
            }
            _ => {
                let entry = self.entry(idx, tally);
                self.entries.push_back(entry);
                self.newest = idx;
                for k in 0..W {
                    if self.lens[k] == 0 {
                        self.oldest[k] = idx;
                    }
                    self.lens[k] += 1;
                }
            }
        }
        for total in &mut self.totals {
            total.add(tally);
        }
    }

    /// Removes the oldest entry, taking it out of every window that still counts it.
    fn pop_front(&mut self) -> Option<Entry> {
        let n = self.entries.len();
        let front = *self.entries.front()?;
        let tally = self.tally(&front);
        self.entries.pop_front();
        if front.counts & WIDE != 0
            && let Some(wide) = self.wide.as_deref_mut()
        {
            wide.tallies.pop_front();
            wide.first = wide.first.wrapping_add(1);
        }
        if self.entries.is_empty() {
            self.newest = i64::MIN;
        }
        for k in 0..W {
            if self.lens[k] == n {
                self.totals[k].sub(&tally);
                self.lens[k] -= 1;
                self.refresh_oldest(k);
            }
        }
        Some(front)
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    /// Loads the lines a query and a push will read: the oldest entry of each window (where
    /// expiry starts), the newest entry (where a push goes) and the totals.
    fn warm(&self) -> i64 {
        let n = self.entries.len();
        let mut x = self.entries.back().map_or(0, |e| e.idx);
        for (k, &len) in self.lens.iter().enumerate() {
            if len > 0 {
                x ^= self.entries[n - len].idx;
            }
            x ^= i64::from(self.totals[k].events);
        }
        x ^ self.totals[W - 1].payment_amount_fen
    }
}

/// Counts and sums over 5 min, 1 h, 24 h and 30 d for one key. See the module comment.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct WindowedTally {
    raw: Tier<2>,
    minutes: Tier<1>,
    hours: Tier<1>,
    /// The newest time (ms) of a raw event dropped because the raw tier was full.
    dropped_upto: i64,
    /// The time of the last `advance`: advancing to it again changes nothing (an observation
    /// after the query at the same time skips the work).
    advanced_to: i64,
}

impl Default for WindowedTally {
    fn default() -> Self {
        WindowedTally {
            raw: Tier::new([M5_MS, HOUR_MS]),
            minutes: Tier::new([H24_MINUTES]),
            hours: Tier::new([D30_HOURS]),
            dropped_upto: i64::MIN,
            advanced_to: i64::MIN,
        }
    }
}

impl WindowedTally {
    /// Loads what [`WindowedTally::windows`] and [`WindowedTally::observe`] will read (see
    /// `FeatureStore::features_for`); returns a value only so the loads are kept.
    pub fn warm(&self) -> i64 {
        self.raw.warm() ^ self.minutes.warm() ^ self.hours.warm() ^ self.dropped_upto
    }

    /// Moves the windows to `now_ms` (callers never pass a time older than a previous one).
    pub fn advance(&mut self, now_ms: i64) {
        if now_ms == self.advanced_to {
            return;
        }
        self.advanced_to = now_ms;
        self.raw.advance(now_ms);
        self.minutes.advance(minute(now_ms));
        self.hours.advance(hour(now_ms));
    }

    /// Records an event at `now_ms`. `raw_cap` (at least 1) bounds the raw tier.
    pub fn observe(&mut self, now_ms: i64, tally: &Tally, raw_cap: usize) {
        self.advance(now_ms);
        while self.raw.len() >= raw_cap.max(1) {
            match self.raw.pop_front() {
                Some(dropped) => self.dropped_upto = self.dropped_upto.max(dropped.idx),
                None => break,
            }
        }
        self.raw.push(now_ms, tally);
        self.minutes.push(minute(now_ms), tally);
        self.hours.push(hour(now_ms), tally);
    }

    /// The sums of the four windows at `now_ms`, and whether any of them is a lower bound
    /// (raw events inside the 5 min or 1 h window were dropped for the cap).
    pub fn windows(&mut self, now_ms: i64) -> (Windowed<Tally>, bool) {
        self.advance(now_ms);
        let sums = Windowed {
            m5: self.raw.totals[0],
            h1: self.raw.totals[1],
            h24: self.minutes.totals[0],
            d30: self.hours.totals[0],
        };
        (sums, self.dropped_upto > now_ms - HOUR_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::window::Window;

    /// Bursts of events in one millisecond, minute and hour (so entries overflow the packed
    /// counts and go wide), and arbitrary tallies, against sums recomputed from every event.
    #[test]
    fn windows_equal_recomputed_sums_with_wide_entries() {
        let mut rng = seeded::XorShift64::from_state(0x9e37_79b9_7f4a_7c15);
        let mut next = move |n: u64| rng.below(n);
        let mut tallies = WindowedTally::default();
        let mut events: Vec<(i64, Tally)> = Vec::new();
        let mut now = 1_700_000_000_000i64;
        for _ in 0..6_000 {
            now += [0, 0, 1, 250, 59_000, 3_600_000, 40 * 3_600_000][next(7) as usize];
            let mut c = || next(3) as u32 * [1, 1, 1, 40][next(4) as usize];
            let tally = Tally {
                events: c(),
                logins: c(),
                failed_logins: c(),
                device_changes: c(),
                activations: c(),
                credit_applications: c(),
                payments: c(),
                profile_changes: c(),
                repayments: c(),
                deliveries: c(),
                denials: c(),
                payment_amount_fen: next(1_000_000) as i64,
            };
            tallies.observe(now, &tally, 100_000);
            events.push((now, tally));
            let (got, saturated) = tallies.windows(now);
            assert!(!saturated);
            for window in Window::ALL {
                let mut want = Tally::default();
                for (t, tally) in &events {
                    if window.contains(*t, now) {
                        want.add(tally);
                    }
                }
                assert_eq!(got.get(window), want, "{window:?} at {now}");
            }
            events.retain(|(t, _)| Window::D30.contains(*t, now));
        }
    }
}
