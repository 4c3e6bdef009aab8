//! [`Month`]: a reporting month, `YYYY-MM`, and its last day (the day the file reports as of).

use std::fmt;
use std::str::FromStr;

use credit::Day;
use credit::calendar::days_in_month;

/// A calendar month (years 1900 to 9999).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u8,
}

/// Why a month did not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MonthError {
    #[error("a month is written YYYY-MM (2026-11), not {0:?}")]
    Format(String),
    #[error("{0:?} is not a month of the years 1900 to 9999")]
    OutOfRange(String),
}

impl MonthError {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            MonthError::Format(_) => "month_format",
            MonthError::OutOfRange(_) => "month_out_of_range",
        }
    }
}

impl Month {
    pub fn new(year: i32, month: u8) -> Option<Month> {
        ((1900..=9999).contains(&year) && (1..=12).contains(&month)).then_some(Month { year, month })
    }

    /// The month a day falls in.
    pub fn of(day: Day) -> Month {
        let (year, month, _) = day.year_month_day();
        Month { year, month }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    pub fn first_day(self) -> Day {
        Day::ymd(self.year, self.month, 1)
    }

    /// The last day: the file reports every account as of this day.
    pub fn last_day(self) -> Day {
        Day::ymd(self.year, self.month, days_in_month(self.year, self.month))
    }

    /// The month after this one.
    pub fn next(self) -> Month {
        match self.month {
            12 => Month {
                year: self.year + 1,
                month: 1,
            },
            m => Month {
                year: self.year,
                month: m + 1,
            },
        }
    }

    /// `YYYYMM`, as the header writes it.
    pub fn compact(self) -> String {
        format!("{:04}{:02}", self.year, self.month)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = MonthError;

    fn from_str(text: &str) -> Result<Month, MonthError> {
        let bad = || MonthError::Format(text.to_string());
        let (year, month) = text.split_once('-').ok_or_else(bad)?;
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(year, 4) || !digits(month, 2) {
            return Err(bad());
        }
        let (year, month) = (year.parse().map_err(|_| bad())?, month.parse().map_err(|_| bad())?);
        Month::new(year, month).ok_or_else(|| MonthError::OutOfRange(text.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_and_end_on_their_last_day() {
        let cases = [
            ("2026-11", Day::ymd(2026, 11, 30)),
            ("2026-12", Day::ymd(2026, 12, 31)),
            ("2028-02", Day::ymd(2028, 2, 29)),
            ("2027-02", Day::ymd(2027, 2, 28)),
        ];
        for (text, last) in cases {
            let month: Month = text.parse().unwrap();
            assert_eq!(month.last_day(), last, "{text}");
            assert_eq!(month.to_string(), text);
            assert_eq!(Month::of(last), month);
        }
        assert_eq!("2026-12".parse::<Month>().unwrap().next().to_string(), "2027-01");
        assert_eq!("2026-12".parse::<Month>().unwrap().compact(), "202612");
    }

    #[test]
    fn bad_months_are_refused_with_a_code() {
        for (text, code) in [
            ("2026-13", "month_out_of_range"),
            ("2026-00", "month_out_of_range"),
            ("2026-1", "month_format"),
            ("202611", "month_format"),
            ("26-11", "month_format"),
            ("2026-1x", "month_format"),
            ("", "month_format"),
        ] {
            assert_eq!(text.parse::<Month>().unwrap_err().code(), code, "{text:?}");
        }
    }
}
