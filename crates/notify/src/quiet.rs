//! [`QuietHours`]: the local hours in which non-urgent messages wait (default 21:00 to 08:00).
//! A message made in quiet hours is released at their end, never dropped; an urgent one
//! (theft, security) goes at once.

use jiff::civil::{DateTime, Time};
use serde::{Deserialize, Serialize};

/// From `start` to `end`, local time; `start > end` spans midnight, `start == end` is none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    pub start: Time,
    pub end: Time,
}

impl Default for QuietHours {
    fn default() -> QuietHours {
        QuietHours {
            start: Time::constant(21, 0, 0, 0),
            end: Time::constant(8, 0, 0, 0),
        }
    }
}

impl QuietHours {
    pub fn contains(&self, time: Time) -> bool {
        if self.start <= self.end {
            self.start <= time && time < self.end
        } else {
            time >= self.start || time < self.end
        }
    }

    /// When a message made at `local` may be sent: at once if urgent or outside quiet hours,
    /// else at the end of these quiet hours (the same day's end before it, the next day's
    /// after the evening start).
    pub fn release(&self, local: DateTime, urgent: bool) -> DateTime {
        if urgent || !self.contains(local.time()) {
            return local;
        }
        let today_end = local.date().to_datetime(self.end);
        if local.time() < self.end {
            return today_end;
        }
        match local.date().tomorrow() {
            Ok(tomorrow) => tomorrow.to_datetime(self.end),
            Err(_) => local,
        }
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    #[test]
    fn non_urgent_messages_wait_for_the_end_and_urgent_ones_go_at_once() {
        let quiet = QuietHours::default();
        let at = |d: i8, h: i8, m: i8| date(2026, 3, d).at(h, m, 0, 0);
        let cases = [
            (at(10, 12, 0), at(10, 12, 0)),
            (at(10, 20, 59), at(10, 20, 59)),
            (at(10, 21, 0), at(11, 8, 0)),
            (at(10, 23, 30), at(11, 8, 0)),
            (at(11, 0, 5), at(11, 8, 0)),
            (at(11, 7, 59), at(11, 8, 0)),
            (at(11, 8, 0), at(11, 8, 0)),
        ];
        for (made, expected) in cases {
            assert_eq!(quiet.release(made, false), expected, "{made}");
            assert_eq!(quiet.release(made, true), made, "urgent {made}");
        }
        // The year's last evening waits for the next year's morning.
        assert_eq!(
            quiet.release(date(2026, 12, 31).at(22, 0, 0, 0), false),
            date(2027, 1, 1).at(8, 0, 0, 0)
        );
    }

    #[test]
    fn hours_within_a_day_and_none() {
        let lunch = QuietHours {
            start: Time::constant(12, 0, 0, 0),
            end: Time::constant(13, 0, 0, 0),
        };
        let day = date(2026, 3, 10);
        assert_eq!(lunch.release(day.at(12, 30, 0, 0), false), day.at(13, 0, 0, 0));
        assert_eq!(lunch.release(day.at(13, 0, 0, 0), false), day.at(13, 0, 0, 0));
        let none = QuietHours {
            start: Time::constant(9, 0, 0, 0),
            end: Time::constant(9, 0, 0, 0),
        };
        assert!(!none.contains(Time::constant(9, 0, 0, 0)));
    }
}
