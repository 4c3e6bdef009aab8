//! Business days: [`Day`], a local calendar date as a count of days, and the billing calendar.
//!
//! The core computes with integer day numbers (days since 1970-01-01) so that "days from A to B"
//! is a subtraction; [`Clock`] turns a timestamp into the business day of the configured zone.
//! "From day A to day B" counts A and not B throughout the core.

use std::cell::Cell;
use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A local business date, as days since 1970-01-01.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(i32);

impl Day {
    pub const fn from_days(days: i32) -> Day {
        Day(days)
    }

    pub const fn days(self) -> i32 {
        self.0
    }

    /// The day for a civil date.
    ///
    /// # Panics
    /// If the date is invalid (callers build days from parsed dates or from other days).
    pub fn ymd(year: i32, month: u8, day: u8) -> Day {
        assert!((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month));
        Day(days_from_civil(year, month, day))
    }

    pub fn from_date(date: Date) -> Day {
        Day(days_from_civil(
            i32::from(date.year()),
            date.month() as u8,
            date.day() as u8,
        ))
    }

    pub fn to_date(self) -> Date {
        let (y, m, d) = civil_from_days(self.0);
        Date::new(y as i16, m as i8, d as i8).expect("a day number is a valid civil date")
    }

    pub fn year_month_day(self) -> (i32, u8, u8) {
        civil_from_days(self.0)
    }

    pub fn day_of_month(self) -> u8 {
        civil_from_days(self.0).2
    }

    pub const fn add(self, days: i32) -> Day {
        Day(self.0 + days)
    }

    pub const fn next(self) -> Day {
        Day(self.0 + 1)
    }

    /// Days from `earlier` to `self` (negative if `earlier` is later).
    pub const fn since(self, earlier: Day) -> i32 {
        self.0 - earlier.0
    }

    /// The first day on or after `self` whose day of month is `billing_day` (1..=28, so every
    /// month has it).
    pub fn next_billing_day(self, billing_day: u8) -> Day {
        debug_assert!((1..=28).contains(&billing_day));
        let (y, m, d) = civil_from_days(self.0);
        if d <= billing_day {
            Day::ymd(y, m, billing_day)
        } else if m == 12 {
            Day::ymd(y + 1, 1, billing_day)
        } else {
            Day::ymd(y, m + 1, billing_day)
        }
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = civil_from_days(self.0);
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl fmt::Debug for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// Why a string is not a `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a date like 2026-01-31")]
pub struct DayParseError(String);

impl FromStr for Day {
    type Err = DayParseError;
    fn from_str(s: &str) -> Result<Day, DayParseError> {
        let err = || DayParseError(s.to_owned());
        let bytes = s.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(err());
        }
        let num = |r: std::ops::Range<usize>| -> Result<i32, DayParseError> {
            let part = &s[r];
            if !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            part.parse().map_err(|_| err())
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        if !(1..=12).contains(&m) || d < 1 || d > i32::from(days_in_month(y, m as u8)) {
            return Err(err());
        }
        Ok(Day(days_from_civil(y, m as u8, d as u8)))
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Day, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Turns timestamps into business days of one zone, caching the current day's bounds so the
/// common case (many commands within one day) is two comparisons.
#[derive(Clone, Debug)]
pub struct Clock {
    zone: TimeZone,
    cached: Cell<Option<(Timestamp, Timestamp, Day)>>,
}

impl Clock {
    pub fn new(zone: TimeZone) -> Clock {
        Clock {
            zone,
            cached: Cell::new(None),
        }
    }

    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    /// The business day `at` falls on.
    pub fn day_of(&self, at: Timestamp) -> Day {
        if let Some((start, end, day)) = self.cached.get()
            && at >= start
            && at < end
        {
            return day;
        }
        let zoned = at.to_zoned(self.zone.clone());
        let date = zoned.date();
        let day = Day::from_date(date);
        let start = date.to_zoned(self.zone.clone()).map(|z| z.timestamp()).ok();
        let end = date
            .tomorrow()
            .ok()
            .and_then(|t| t.to_zoned(self.zone.clone()).ok())
            .map(|z| z.timestamp());
        if let (Some(start), Some(end)) = (start, end) {
            self.cached.set(Some((start, end, day)));
        }
        day
    }
}

/// Days in a month of the proleptic Gregorian calendar.
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days, on i32.
fn days_from_civil(y: i32, m: u8, d: u8) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i32::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i32::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i32) -> (i32, u8, u8) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_civil_dates() {
        for days in -800_000..800_000 {
            let day = Day(days);
            let (y, m, d) = day.year_month_day();
            assert_eq!(Day::ymd(y, m, d), day);
        }
        assert_eq!(Day::ymd(1970, 1, 1).days(), 0);
        assert_eq!(Day::ymd(2024, 2, 29).to_string(), "2024-02-29");
        assert_eq!(Day::from_date(jiff::civil::date(2026, 11, 22)), Day::ymd(2026, 11, 22));
        assert_eq!(Day::ymd(2026, 11, 22).to_date(), jiff::civil::date(2026, 11, 22));
    }

    #[test]
    fn next_billing_day_handles_month_and_year_ends() {
        let table = [
            ((2026, 1, 5), 5, (2026, 1, 5)),
            ((2026, 1, 6), 5, (2026, 2, 5)),
            ((2026, 1, 31), 28, (2026, 2, 28)),
            ((2026, 2, 28), 28, (2026, 2, 28)),
            ((2026, 12, 29), 28, (2027, 1, 28)),
            ((2024, 2, 29), 1, (2024, 3, 1)),
        ];
        for ((y, m, d), billing, (ey, em, ed)) in table {
            assert_eq!(Day::ymd(y, m, d).next_billing_day(billing), Day::ymd(ey, em, ed));
        }
    }

    #[test]
    fn parses_dates() {
        assert_eq!("2026-02-28".parse::<Day>(), Ok(Day::ymd(2026, 2, 28)));
        assert!("2026-02-29".parse::<Day>().is_err());
        assert!("2026-13-01".parse::<Day>().is_err());
        assert!("2026-1-01".parse::<Day>().is_err());
        assert!("20260101".parse::<Day>().is_err());
    }

    #[test]
    fn clock_uses_the_zone() {
        let clock = Clock::new(TimeZone::get("Asia/Shanghai").unwrap_or(TimeZone::fixed(jiff::tz::offset(8))));
        // 2026-01-31T16:00:00Z is 2026-02-01 00:00 in Shanghai.
        let before: Timestamp = "2026-01-31T15:59:59Z".parse().unwrap();
        let after: Timestamp = "2026-01-31T16:00:00Z".parse().unwrap();
        assert_eq!(clock.day_of(before), Day::ymd(2026, 1, 31));
        assert_eq!(clock.day_of(after), Day::ymd(2026, 2, 1));
        assert_eq!(clock.day_of(before), Day::ymd(2026, 1, 31));
    }
}
