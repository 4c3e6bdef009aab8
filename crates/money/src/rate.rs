//! [`Rate`]: an exact, non-negative rate in integer parts per million.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A rate in parts per million: `Rate::from_ppm(5_000)` is 0.5%, `500` is 0.05%.
///
/// One ppm (0.0001%) is the finest rate iou represents; every product rate in DESIGN.md is a
/// whole number of ppm. An annual rate is turned into a monthly one by dividing by 12 inside
/// [`crate::Amount::mul_ratio`], never by rounding the rate.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Rate(u32);

/// Why a string is not a [`Rate`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("rate {0:?} is not a percentage like 0.6% or a fraction like 0.006")]
    Syntax(String),
    #[error("rate {0:?} is finer than 0.0001% (one part per million)")]
    TooPrecise(String),
    #[error("rate {0:?} is above the largest accepted rate (1000%)")]
    TooLarge(String),
    #[error("rate {0:?} is ambiguous: write it as a percentage (12%) or a fraction below 1 (0.12)")]
    Ambiguous(String),
}

impl Rate {
    pub const ZERO: Rate = Rate(0);
    /// One whole (100%) in ppm.
    pub const PPM_ONE: i64 = 1_000_000;
    /// The largest accepted rate: 1000%.
    pub const MAX: Rate = Rate(10_000_000);

    pub const fn from_ppm(ppm: u32) -> Rate {
        Rate(ppm)
    }

    pub const fn ppm(self) -> u32 {
        self.0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The rate as an exact decimal fraction (`0.006` for 0.6%).
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(i64::from(self.0), 6)
    }

    /// Parses `"0.6%"` (a percentage, up to four decimals) or `"0.006"` (a fraction below 1, up
    /// to six decimals). A bare number of 1 or more (`"12"`) is refused as ambiguous rather than
    /// read as 1200%.
    pub fn parse(text: &str) -> Result<Rate, RateError> {
        let (number, scale_digits) = match text.strip_suffix('%') {
            Some(number) => (number, 4),
            None => (text, 6),
        };
        let syntax = || RateError::Syntax(text.to_owned());
        let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(frac) || number.ends_with('.') {
            return Err(syntax());
        }
        if frac.len() > scale_digits {
            return Err(RateError::TooPrecise(text.to_owned()));
        }
        let too_large = || RateError::TooLarge(text.to_owned());
        let mut ppm: u64 = whole.parse().map_err(|_| too_large())?;
        for _ in 0..scale_digits {
            ppm = ppm.checked_mul(10).ok_or_else(too_large)?;
        }
        let mut frac_ppm: u64 = 0;
        for i in 0..scale_digits {
            let digit = frac.as_bytes().get(i).map_or(0, |b| u64::from(b - b'0'));
            frac_ppm = frac_ppm * 10 + digit;
        }
        let ppm = ppm.checked_add(frac_ppm).ok_or_else(too_large)?;
        if scale_digits == 6 && ppm >= 1_000_000 {
            return Err(RateError::Ambiguous(text.to_owned()));
        }
        if ppm > u64::from(Rate::MAX.0) {
            return Err(too_large());
        }
        Ok(Rate(u32::try_from(ppm).map_err(|_| too_large())?))
    }
}

impl fmt::Display for Rate {
    /// As a percentage without trailing zeros: `0.6%`, `12%`, `0.05%`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / 10_000;
        let frac = self.0 % 10_000;
        if frac == 0 {
            return write!(f, "{whole}%");
        }
        let digits = format!("{frac:04}");
        write!(f, "{whole}.{}%", digits.trim_end_matches('0'))
    }
}

impl fmt::Debug for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl FromStr for Rate {
    type Err = RateError;
    fn from_str(s: &str) -> Result<Rate, RateError> {
        Rate::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_percentages_and_fractions() {
        let table: &[(&str, Result<u32, &str>)] = &[
            ("0.6%", Ok(6_000)),
            ("0.05%", Ok(500)),
            ("12%", Ok(120_000)),
            ("0%", Ok(0)),
            ("0.0001%", Ok(1)),
            ("0.00001%", Err("precise")),
            ("0.006", Ok(6_000)),
            ("0.12", Ok(120_000)),
            ("1", Err("ambiguous")),
            ("12", Err("ambiguous")),
            ("0.0000001", Err("precise")),
            ("1000%", Ok(10_000_000)),
            ("1000.0001%", Err("large")),
            ("99999999999999999999%", Err("large")),
            ("", Err("syntax")),
            ("%", Err("syntax")),
            ("-1%", Err("syntax")),
            ("abc", Err("syntax")),
            ("1.%", Err("syntax")),
            (".5%", Err("syntax")),
        ];
        for (text, want) in table {
            let got = Rate::parse(text);
            match (want, &got) {
                (Ok(ppm), Ok(r)) => assert_eq!(r.ppm(), *ppm, "{text}"),
                (Err("precise"), Err(RateError::TooPrecise(_)))
                | (Err("large"), Err(RateError::TooLarge(_)))
                | (Err("syntax"), Err(RateError::Syntax(_)))
                | (Err("ambiguous"), Err(RateError::Ambiguous(_))) => {}
                _ => panic!("{text}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn displays_as_percent() {
        assert_eq!(Rate::from_ppm(6_000).to_string(), "0.6%");
        assert_eq!(Rate::from_ppm(120_000).to_string(), "12%");
        assert_eq!(Rate::from_ppm(500).to_string(), "0.05%");
        assert_eq!(Rate::from_ppm(1).to_string(), "0.0001%");
        assert_eq!(Rate::from_ppm(6_000).to_decimal().to_string(), "0.006000");
    }
}
