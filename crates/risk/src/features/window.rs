//! The four windows and the exact rule for whether an event falls in one.
//!
//! | window | an event at `t` is in the window at `now` iff            | resolution |
//! |--------|-----------------------------------------------------------|------------|
//! | 5 min  | `t > now - 300_000`                                       | 1 ms       |
//! | 1 h    | `t > now - 3_600_000`                                     | 1 ms       |
//! | 24 h   | `minute(t) > minute(now) - 1_440`                         | 1 minute   |
//! | 30 d   | `hour(t) > hour(now) - 720`                               | 1 hour     |
//!
//! `minute(t) = floor(t / 60_000)`, `hour(t) = floor(t / 3_600_000)`. So the 24 h window is the
//! current minute and the 1,439 before it, the 30 d window the current hour and the 719 before
//! it. The store and the naive twin in the tests both use [`Window::contains`], and the store
//! keeps exactly what it needs to answer it (raw events for the short windows, minute and hour
//! buckets for the long ones).

use serde::{Deserialize, Serialize};

pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 24 * HOUR_MS;

pub(crate) const M5_MS: i64 = 5 * MINUTE_MS;
pub(crate) const H24_MINUTES: i64 = 1_440;
pub(crate) const D30_HOURS: i64 = 720;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    M5,
    H1,
    H24,
    D30,
}

impl Window {
    pub const ALL: [Window; 4] = [Window::M5, Window::H1, Window::H24, Window::D30];

    /// Whether an event at `event_ms` counts in this window at `now_ms` (`event_ms <= now_ms`).
    pub fn contains(self, event_ms: i64, now_ms: i64) -> bool {
        match self {
            Window::M5 => event_ms > now_ms - M5_MS,
            Window::H1 => event_ms > now_ms - HOUR_MS,
            Window::H24 => minute(event_ms) > minute(now_ms) - H24_MINUTES,
            Window::D30 => hour(event_ms) > hour(now_ms) - D30_HOURS,
        }
    }

    /// The earliest time in this window at `now_ms`: `contains(t, now) == (t >= cutoff(now))`
    /// for every `t <= now` (a unit test checks it), so a scan compares integers only.
    pub fn cutoff(self, now_ms: i64) -> i64 {
        match self {
            Window::M5 => now_ms - M5_MS + 1,
            Window::H1 => now_ms - HOUR_MS + 1,
            Window::H24 => (minute(now_ms) - H24_MINUTES + 1) * MINUTE_MS,
            Window::D30 => (hour(now_ms) - D30_HOURS + 1) * HOUR_MS,
        }
    }

    /// The suffix of the feature names: `payments_5m`, `payments_1h`, ...
    pub const fn suffix(self) -> &'static str {
        match self {
            Window::M5 => "5m",
            Window::H1 => "1h",
            Window::H24 => "24h",
            Window::D30 => "30d",
        }
    }
}

pub(crate) fn minute(ms: i64) -> i64 {
    ms.div_euclid(MINUTE_MS)
}

pub(crate) fn hour(ms: i64) -> i64 {
    ms.div_euclid(HOUR_MS)
}

/// One value per window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Windowed<T> {
    pub m5: T,
    pub h1: T,
    pub h24: T,
    pub d30: T,
}

impl<T: Copy> Windowed<T> {
    pub fn splat(value: T) -> Windowed<T> {
        Windowed {
            m5: value,
            h1: value,
            h24: value,
            d30: value,
        }
    }

    pub fn get(&self, window: Window) -> T {
        match window {
            Window::M5 => self.m5,
            Window::H1 => self.h1,
            Window::H24 => self.h24,
            Window::D30 => self.d30,
        }
    }

    pub fn get_mut(&mut self, window: Window) -> &mut T {
        match window {
            Window::M5 => &mut self.m5,
            Window::H1 => &mut self.h1,
            Window::H24 => &mut self.h24,
            Window::D30 => &mut self.d30,
        }
    }

    pub fn map<U>(&self, f: impl Fn(T) -> U) -> Windowed<U> {
        Windowed {
            m5: f(self.m5),
            h1: f(self.h1),
            h24: f(self.h24),
            d30: f(self.d30),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutoff_agrees_with_contains() {
        let mut rng = seeded::XorShift64::from_state(0x2545_f491_4f6c_dd1d);
        for _ in 0..200_000 {
            let x = rng.next_u64();
            let now = 1_700_000_000_000 + (x % (40 * DAY_MS as u64)) as i64;
            let back = [1, 299_999, 300_000, 3_600_000, DAY_MS + 60_000, 31 * DAY_MS][(x >> 40) as usize % 6];
            let t = now - ((x >> 20) % back as u64) as i64;
            for window in Window::ALL {
                assert_eq!(
                    window.contains(t, now),
                    t >= window.cutoff(now),
                    "{window:?} t={t} now={now}"
                );
            }
        }
    }
}
