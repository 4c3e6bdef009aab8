//! [`MerchantBook`]: what happened to a merchant's orders after the payment decision —
//! captures, voids, refunds, captures with no delivery checkpoint, theft reports — and who its
//! buyers were (on a young account or a new device, using ≥ 90% of their available credit).
//!
//! The risk core never sees these facts at a checkpoint: the shell (the engine) derives them from
//! what it journals and tells the merchant's shared shard ([`MerchantFact`]). The book lives in
//! the shard that owns the merchant key, next to its velocity state, and is mutated only by
//! whoever owns that shard.
//!
//! Windows: the last 24 hours and 30 days **by the hour**: a fact at `t` counts at `now` iff
//! `hour(t) > hour(now) - 24` (resp. `- 720`). The book keeps one bucket per active hour (at most
//! 720) and running sums of both windows, so a query is O(1) amortized and exact.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::window::{D30_HOURS, DAY_MS, hour};

/// A merchant with no event or fact for this long is forgotten (its age restarts).
pub const MERCHANT_BOOK_RETENTION_MS: i64 = 180 * DAY_MS;

/// Hours in the merchant book's short window.
pub const MERCHANT_H24_HOURS: i64 = 24;

/// A buyer is on a young account below this age (days) ...
pub const YOUNG_ACCOUNT_DAYS: u32 = 7;
/// ... or on a new device below this age on the account (hours).
pub const NEW_DEVICE_HOURS: u32 = 24;

/// One fact about a merchant's order, told by the shell after it happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MerchantFact {
    /// An authorization the credit core accepted.
    Payment {
        /// The buyer's account was younger than [`YOUNG_ACCOUNT_DAYS`] or the device newer than
        /// [`NEW_DEVICE_HOURS`] on it (from the decision's own features).
        young_or_new_device: bool,
        /// The payment took at least 90% of the credit available before it.
        maxed_out: bool,
    },
    /// A capture; `delivered` when the order passed the delivery checkpoint before it.
    Capture {
        delivered: bool,
    },
    Void,
    Refund,
    /// A customer reported the order stolen (a theft case opened on it).
    TheftReport,
}

/// Counts of facts summed over a window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantCounts {
    pub payments: u32,
    pub young_or_new_device: u32,
    pub maxed_out: u32,
    pub captures: u32,
    pub captures_undelivered: u32,
    pub voids: u32,
    pub refunds: u32,
    pub theft_reports: u32,
}

impl MerchantCounts {
    pub fn of(fact: MerchantFact) -> MerchantCounts {
        let mut c = MerchantCounts::default();
        match fact {
            MerchantFact::Payment {
                young_or_new_device,
                maxed_out,
            } => {
                c.payments = 1;
                c.young_or_new_device = u32::from(young_or_new_device);
                c.maxed_out = u32::from(maxed_out);
            }
            MerchantFact::Capture { delivered } => {
                c.captures = 1;
                c.captures_undelivered = u32::from(!delivered);
            }
            MerchantFact::Void => c.voids = 1,
            MerchantFact::Refund => c.refunds = 1,
            MerchantFact::TheftReport => c.theft_reports = 1,
        }
        c
    }

    fn zip(&mut self, other: &MerchantCounts, f: impl Fn(u32, u32) -> u32) {
        self.payments = f(self.payments, other.payments);
        self.young_or_new_device = f(self.young_or_new_device, other.young_or_new_device);
        self.maxed_out = f(self.maxed_out, other.maxed_out);
        self.captures = f(self.captures, other.captures);
        self.captures_undelivered = f(self.captures_undelivered, other.captures_undelivered);
        self.voids = f(self.voids, other.voids);
        self.refunds = f(self.refunds, other.refunds);
        self.theft_reports = f(self.theft_reports, other.theft_reports);
    }

    pub fn add(&mut self, other: &MerchantCounts) {
        self.zip(other, u32::saturating_add);
    }

    fn sub(&mut self, other: &MerchantCounts) {
        self.zip(other, u32::saturating_sub);
    }
}

/// `part * 100 / whole`, rounded down; none when `whole` is 0.
pub fn pct(part: u32, whole: u32) -> Option<u32> {
    (whole > 0).then(|| u32::try_from(u64::from(part) * 100 / u64::from(whole)).unwrap_or(u32::MAX))
}

/// A merchant's order facts as one evaluation sees them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerchantFeatures {
    /// Days since the merchant's first fact or payment attempt that the book remembers.
    pub age_days: u32,
    /// Facts in the last 24 hours (by the hour).
    pub h24: MerchantCounts,
    /// Facts in the last 30 days (by the hour).
    pub d30: MerchantCounts,
}

/// One merchant's order facts.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct MerchantBook {
    /// `(hour, counts)` of every hour with a fact still in the 30-day window, oldest first.
    hours: VecDeque<(i64, MerchantCounts)>,
    /// Index into `hours` of the oldest bucket still in the 24-hour window.
    h24_from: usize,
    h24: MerchantCounts,
    d30: MerchantCounts,
    first_ms: Option<i64>,
    pub(crate) last_ms: Option<i64>,
}

impl MerchantBook {
    /// Drops what left the windows at `now_ms`.
    fn advance(&mut self, now_ms: i64) {
        let now_h = hour(now_ms);
        while let Some(&(h, c)) = self.hours.front() {
            if h > now_h - D30_HOURS {
                break;
            }
            self.hours.pop_front();
            self.d30.sub(&c);
            if self.h24_from > 0 {
                self.h24_from -= 1;
            } else {
                self.h24.sub(&c);
            }
        }
        while let Some(&(h, c)) = self.hours.get(self.h24_from) {
            if h > now_h - MERCHANT_H24_HOURS {
                break;
            }
            self.h24.sub(&c);
            self.h24_from += 1;
        }
    }

    /// Records `fact` at `now_ms` (never earlier than a fact already recorded).
    pub(crate) fn observe(&mut self, fact: MerchantFact, now_ms: i64) {
        self.touch(now_ms);
        self.advance(now_ms);
        let counts = MerchantCounts::of(fact);
        let h = hour(now_ms);
        match self.hours.back_mut() {
            Some((last, c)) if *last == h => c.add(&counts),
            _ => self.hours.push_back((h, counts)),
        }
        self.h24.add(&counts);
        self.d30.add(&counts);
    }

    /// Marks the merchant as seen at `now_ms` (an event or a fact): a merchant idle for longer
    /// than [`MERCHANT_BOOK_RETENTION_MS`] starts a new run (its age restarts).
    pub(crate) fn touch(&mut self, now_ms: i64) {
        if self.idle(now_ms, MERCHANT_BOOK_RETENTION_MS) {
            self.first_ms = Some(now_ms);
        }
        self.last_ms = Some(now_ms);
    }

    pub(crate) fn features(&mut self, now_ms: i64) -> MerchantFeatures {
        self.advance(now_ms);
        let first = self
            .first_ms
            .filter(|_| !self.idle(now_ms, MERCHANT_BOOK_RETENTION_MS))
            .unwrap_or(now_ms);
        MerchantFeatures {
            age_days: u32::try_from((now_ms - first).max(0) / DAY_MS).unwrap_or(u32::MAX),
            h24: self.h24,
            d30: self.d30,
        }
    }

    /// Whether the book has been idle for longer than `retention_ms`.
    pub(crate) fn idle(&self, now_ms: i64, retention_ms: i64) -> bool {
        self.last_ms.is_none_or(|last| now_ms - last > retention_ms)
    }

    /// Buckets held (at most 720): the book's memory is bounded by it.
    #[cfg(test)]
    fn buckets(&self) -> usize {
        self.hours.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::window::HOUR_MS;

    /// The book against a naive twin that keeps every fact and filters by the window rule.
    #[test]
    fn book_matches_a_naive_twin() {
        let mut rng = seeded::XorShift64::from_state(0x9e37_79b9_7f4a_7c15);
        for round in 0..40 {
            let mut book = MerchantBook::default();
            let mut all: Vec<(i64, MerchantFact)> = Vec::new();
            let mut now = 1_700_000_000_000i64 + round * 7_919;
            for _ in 0..600 {
                let x = rng.next_u64();
                now += [0, 1, 60_000, HOUR_MS, 7 * HOUR_MS, 5 * DAY_MS][(x % 6) as usize] * ((x >> 8) % 3) as i64;
                let fact = match (x >> 16) % 6 {
                    0 => MerchantFact::Payment {
                        young_or_new_device: x & (1 << 30) != 0,
                        maxed_out: x & (1 << 31) != 0,
                    },
                    1 => MerchantFact::Capture {
                        delivered: x & (1 << 32) != 0,
                    },
                    2 => MerchantFact::Void,
                    3 => MerchantFact::Refund,
                    4 => MerchantFact::TheftReport,
                    _ => {
                        let got = book.features(now);
                        let want = |span: i64| {
                            let mut c = MerchantCounts::default();
                            for (t, f) in &all {
                                if hour(*t) > hour(now) - span {
                                    c.add(&MerchantCounts::of(*f));
                                }
                            }
                            c
                        };
                        assert_eq!(got.h24, want(MERCHANT_H24_HOURS), "round {round}");
                        assert_eq!(got.d30, want(D30_HOURS), "round {round}");
                        let mut run: Option<(i64, i64)> = None;
                        for (t, _) in &all {
                            run = match run {
                                Some((first, last)) if t - last <= MERCHANT_BOOK_RETENTION_MS => Some((first, *t)),
                                _ => Some((*t, *t)),
                            };
                        }
                        let first = run
                            .filter(|(_, last)| now - last <= MERCHANT_BOOK_RETENTION_MS)
                            .map_or(now, |(first, _)| first);
                        assert_eq!(i64::from(got.age_days), (now - first) / DAY_MS);
                        assert!(book.buckets() <= D30_HOURS as usize);
                        continue;
                    }
                };
                book.observe(fact, now);
                all.push((now, fact));
            }
        }
    }

    #[test]
    fn pct_rounds_down_and_is_none_without_a_whole() {
        assert_eq!(pct(1, 3), Some(33));
        assert_eq!(pct(0, 0), None);
        assert_eq!(pct(5, 5), Some(100));
    }
}
