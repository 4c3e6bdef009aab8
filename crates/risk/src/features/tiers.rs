//! [`WindowedTally`]: exact counts and sums of one key over the four windows, in bounded memory.
//!
//! Three tiers, each a deque of `(index, Tally)` in time order with running totals:
//! - raw events (index = ms) for the 5 min and 1 h windows, at most `raw_cap` entries;
//! - minute buckets (index = minute) for the 24 h window, at most 1,440 entries;
//! - hour buckets (index = hour) for the 30 d window, at most 720 entries.
//!
//! Every event goes into all three. A tier keeps, per window, how many of its newest entries are
//! inside the window and their total; moving time forward only ever drops entries from the old
//! end, so every query is amortized O(1). When the raw tier is full, its oldest event is dropped
//! (it still counts in the minute and hour tiers) and `dropped_upto` remembers its time: a short
//! window that still contains that time is a lower bound, and [`WindowedTally::windows`] says so.

use std::collections::VecDeque;

use super::tally::Tally;
use super::window::{D30_HOURS, H24_MINUTES, HOUR_MS, M5_MS, Windowed, hour, minute};

/// Entries in time order plus, for `W` nested windows (spans ascending, in index units), the
/// number of newest entries inside each window, their sum, and the index of the oldest of them
/// (so a query that expires nothing does not touch the entries at all).
#[derive(Clone, Debug)]
struct Tier<const W: usize> {
    entries: VecDeque<(i64, Tally)>,
    spans: [i64; W],
    lens: [usize; W],
    totals: [Tally; W],
    /// Index of the oldest entry window `k` counts; `i64::MAX` when it counts none.
    oldest: [i64; W],
    /// Index of the newest entry; `i64::MIN` when there is none. A push compares with it
    /// rather than with the entry itself, which is rarely in cache.
    newest: i64,
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
        }
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
                let (idx, tally) = &self.entries[n - self.lens[k]];
                if *idx > cur - self.spans[k] {
                    break;
                }
                self.totals[k].sub(tally);
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
            len => self.entries[n - len].0,
        };
    }

    /// Adds `tally` at index `idx`, the current index (never older than the newest entry).
    fn push(&mut self, idx: i64, tally: &Tally) {
        match self.entries.back_mut() {
            Some((_, sum)) if self.newest == idx => sum.add(tally),
            _ => {
                self.entries.push_back((idx, *tally));
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
    fn pop_front(&mut self) -> Option<(i64, Tally)> {
        let n = self.entries.len();
        let front = self.entries.pop_front()?;
        if self.entries.is_empty() {
            self.newest = i64::MIN;
        }
        for k in 0..W {
            if self.lens[k] == n {
                self.totals[k].sub(&front.1);
                self.lens[k] -= 1;
                self.refresh_oldest(k);
            }
        }
        Some(front)
    }

    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Counts and sums over 5 min, 1 h, 24 h and 30 d for one key. See the module comment.
#[derive(Clone, Debug)]
pub(crate) struct WindowedTally {
    raw: Tier<2>,
    minutes: Tier<1>,
    hours: Tier<1>,
    /// The newest time (ms) of a raw event dropped because the raw tier was full.
    dropped_upto: i64,
}

impl Default for WindowedTally {
    fn default() -> Self {
        WindowedTally {
            raw: Tier::new([M5_MS, HOUR_MS]),
            minutes: Tier::new([H24_MINUTES]),
            hours: Tier::new([D30_HOURS]),
            dropped_upto: i64::MIN,
        }
    }
}

impl WindowedTally {
    /// Moves the windows to `now_ms` (callers never pass a time older than a previous one).
    pub fn advance(&mut self, now_ms: i64) {
        self.raw.advance(now_ms);
        self.minutes.advance(minute(now_ms));
        self.hours.advance(hour(now_ms));
    }

    /// Records an event at `now_ms`. `raw_cap` (at least 1) bounds the raw tier.
    pub fn observe(&mut self, now_ms: i64, tally: &Tally, raw_cap: usize) {
        self.advance(now_ms);
        while self.raw.len() >= raw_cap.max(1) {
            match self.raw.pop_front() {
                Some((dropped_ms, _)) => self.dropped_upto = self.dropped_upto.max(dropped_ms),
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
