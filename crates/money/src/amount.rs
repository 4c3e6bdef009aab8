//! [`Amount`]: a signed number of fen (minor units) with checked arithmetic.
//!
//! Rounding rules live here and nowhere else:
//! - [`Amount::mul_rate`] and [`Amount::mul_ratio`] round half-up to the fen (half away from
//!   zero for negative amounts, so a sign change never changes the magnitude);
//! - [`Amount::split_down`] divides rounding down and is what a plan's principal split uses
//!   (the remainder goes to the last period, so periods always sum to the principal).

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Rate;

/// A number of fen. `Amount(123456)` is 1234.56 yuan.
///
/// The operators `+`, `-` and `+=` panic on overflow instead of wrapping; the domain bounds every
/// input by [`Amount::MAX_INPUT`], so an overflow is a bug, never a customer's doing. Code that
/// handles an unbounded value uses the `checked_*` methods.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Amount(i64);

/// Why a yuan string or an arithmetic result is not an [`Amount`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("amount is empty")]
    Empty,
    #[error("amount {0:?} is not a decimal number of yuan like 1234.56")]
    Syntax(String),
    #[error("amount {0:?} has more than two decimal places (fen are the smallest unit)")]
    TooPrecise(String),
    #[error("amount {0:?} is larger than the largest accepted amount")]
    TooLarge(String),
    #[error("amount arithmetic overflowed")]
    Overflow,
}

impl Amount {
    pub const ZERO: Amount = Amount(0);
    /// The largest amount any single input may carry: 10 billion yuan. Sums of bounded inputs
    /// over any realistic account history stay far below `i64::MAX`.
    pub const MAX_INPUT: Amount = Amount(1_000_000_000_000);

    pub const fn from_fen(fen: i64) -> Amount {
        Amount(fen)
    }

    pub const fn fen(self) -> i64 {
        self.0
    }

    /// Whole yuan, for literals in tests and configuration: `Amount::yuan(100)` is 100.00.
    pub const fn yuan(yuan: i64) -> Amount {
        Amount(yuan * 100)
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn checked_add(self, other: Amount) -> Result<Amount, AmountError> {
        self.0.checked_add(other.0).map(Amount).ok_or(AmountError::Overflow)
    }

    pub fn checked_sub(self, other: Amount) -> Result<Amount, AmountError> {
        self.0.checked_sub(other.0).map(Amount).ok_or(AmountError::Overflow)
    }

    pub fn checked_mul(self, times: i64) -> Result<Amount, AmountError> {
        self.0.checked_mul(times).map(Amount).ok_or(AmountError::Overflow)
    }

    /// The smaller of the two.
    pub fn min(self, other: Amount) -> Amount {
        Ord::min(self, other)
    }

    /// The larger of the two.
    pub fn max(self, other: Amount) -> Amount {
        Ord::max(self, other)
    }

    /// `self - other`, but never below zero.
    pub fn saturating_sub_to_zero(self, other: Amount) -> Amount {
        (self - other).max(Amount::ZERO)
    }

    /// `self * rate`, rounded half-up to the fen.
    pub fn mul_rate(self, rate: Rate) -> Amount {
        self.mul_ratio(i64::from(rate.ppm()), Rate::PPM_ONE)
    }

    /// `self * numerator / denominator`, rounded half-up to the fen (half away from zero).
    ///
    /// # Panics
    /// If `denominator` is not positive, or the result does not fit an amount.
    pub fn mul_ratio(self, numerator: i64, denominator: i64) -> Amount {
        assert!(denominator > 0, "mul_ratio: denominator must be positive");
        let product = i128::from(self.0) * i128::from(numerator);
        let den = i128::from(denominator);
        let half = den / 2;
        // `(p + floor(den / 2)) / den` rounds an exact half up for an even denominator, and an
        // odd denominator has no exact half, so it is round-half-up for every positive `den`.
        let rounded = if product >= 0 {
            (product + half) / den
        } else {
            -((-product + half) / den)
        };
        Amount(i64::try_from(rounded).expect("mul_ratio: result overflows an amount"))
    }

    /// Splits `self` into `parts` shares rounded down to the fen; returns `(share, last)` where
    /// `last = self - share * (parts - 1)` takes the remainder. Both are non-negative for a
    /// non-negative amount.
    ///
    /// # Panics
    /// If `parts` is zero or `self` is negative.
    pub fn split_down(self, parts: u32) -> (Amount, Amount) {
        assert!(parts > 0, "split_down: parts must be positive");
        assert!(self.0 >= 0, "split_down: amount must not be negative");
        let share = self.0 / i64::from(parts);
        let last = self.0 - share * (i64::from(parts) - 1);
        (Amount(share), Amount(last))
    }

    /// Parses a yuan string: optional `-`, digits, optional `.` and one or two digits.
    /// `"1234.56"`, `"0.01"`, `"7"` and `"7.5"` parse; `"1,000"`, `".5"`, `"1.234"`, `" 1"` and
    /// amounts above [`Amount::MAX_INPUT`] do not.
    pub fn parse_yuan(text: &str) -> Result<Amount, AmountError> {
        if text.is_empty() {
            return Err(AmountError::Empty);
        }
        let syntax = || AmountError::Syntax(text.to_owned());
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, frac) = match unsigned.split_once('.') {
            Some((whole, frac)) => (whole, frac),
            None => (unsigned, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(frac) {
            return Err(syntax());
        }
        if unsigned.ends_with('.') {
            return Err(syntax());
        }
        if frac.len() > 2 {
            return Err(AmountError::TooPrecise(text.to_owned()));
        }
        let too_large = || AmountError::TooLarge(text.to_owned());
        let whole: i64 = whole.parse().map_err(|_| too_large())?;
        let frac_fen: i64 = match frac.len() {
            0 => 0,
            1 => i64::from(frac.as_bytes()[0] - b'0') * 10,
            _ => frac.parse().map_err(|_| syntax())?,
        };
        let fen = whole
            .checked_mul(100)
            .and_then(|f| f.checked_add(frac_fen))
            .ok_or_else(too_large)?;
        if fen > Amount::MAX_INPUT.0 {
            return Err(too_large());
        }
        Ok(Amount(if negative { -fen } else { fen }))
    }
}

impl fmt::Display for Amount {
    /// Yuan with exactly two decimals: `1234.56`, `-0.05`, `0.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl FromStr for Amount {
    type Err = AmountError;
    fn from_str(s: &str) -> Result<Amount, AmountError> {
        Amount::parse_yuan(s)
    }
}

impl Add for Amount {
    type Output = Amount;
    fn add(self, other: Amount) -> Amount {
        self.checked_add(other).expect("amount overflow in +")
    }
}

impl Sub for Amount {
    type Output = Amount;
    fn sub(self, other: Amount) -> Amount {
        self.checked_sub(other).expect("amount overflow in -")
    }
}

impl AddAssign for Amount {
    fn add_assign(&mut self, other: Amount) {
        *self = *self + other;
    }
}

impl SubAssign for Amount {
    fn sub_assign(&mut self, other: Amount) {
        *self = *self - other;
    }
}

impl Neg for Amount {
    type Output = Amount;
    fn neg(self) -> Amount {
        Amount(self.0.checked_neg().expect("amount overflow in negation"))
    }
}

impl Sum for Amount {
    fn sum<I: Iterator<Item = Amount>>(iter: I) -> Amount {
        iter.fold(Amount::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Amount> for Amount {
    fn sum<I: Iterator<Item = &'a Amount>>(iter: I) -> Amount {
        iter.copied().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_yuan() {
        let table: &[(&str, Result<i64, &str>)] = &[
            ("1234.56", Ok(123_456)),
            ("0.01", Ok(1)),
            ("7", Ok(700)),
            ("7.5", Ok(750)),
            ("-0.05", Ok(-5)),
            ("0", Ok(0)),
            ("10000000000.00", Ok(1_000_000_000_000)),
            ("10000000000.01", Err("too large")),
            ("99999999999999999999", Err("too large")),
            ("", Err("empty")),
            ("1,000", Err("syntax")),
            (".5", Err("syntax")),
            ("5.", Err("syntax")),
            ("1.234", Err("precise")),
            (" 1", Err("syntax")),
            ("1e3", Err("syntax")),
            ("+1", Err("syntax")),
            ("--1", Err("syntax")),
            ("-", Err("syntax")),
        ];
        for (text, want) in table {
            let got = Amount::parse_yuan(text);
            match (want, &got) {
                (Ok(fen), Ok(a)) => assert_eq!(a.fen(), *fen, "{text}"),
                (Err(kind), Err(e)) => {
                    let kind_matches = match e {
                        AmountError::Empty => *kind == "empty",
                        AmountError::Syntax(_) => *kind == "syntax",
                        AmountError::TooPrecise(_) => *kind == "precise",
                        AmountError::TooLarge(_) => *kind == "too large",
                        AmountError::Overflow => false,
                    };
                    assert!(kind_matches, "{text}: got {e:?}, want {kind}");
                }
                _ => panic!("{text}: got {got:?}, want {want:?}"),
            }
        }
        assert_eq!(Amount::from_fen(123_456).to_string(), "1234.56");
        assert_eq!(Amount::from_fen(-5).to_string(), "-0.05");
        assert_eq!(Amount::from_fen(0).to_string(), "0.00");
        assert_eq!(Amount::from_fen(100).to_string(), "1.00");
    }

    #[test]
    fn mul_rate_rounds_half_up() {
        // (amount fen, ppm, expected fen)
        let table: &[(i64, u32, i64)] = &[
            (10_000, 5_000, 50),   // 100.00 * 0.5% = 0.50
            (100, 5_000, 1),       // 1.00 * 0.5% = 0.005 -> 0.01 (half up)
            (99, 5_000, 0),        // 0.99 * 0.5% = 0.00495 -> 0.00
            (1, 500_000, 1),       // 0.01 * 50% = 0.005 -> 0.01
            (3, 500_000, 2),       // 0.03 * 50% = 0.015 -> 0.02
            (-3, 500_000, -2),     // symmetric for negatives
            (1_000_000, 500, 500), // 10000.00 * 0.05% = 5.00
            (1, 0, 0),
        ];
        for &(fen, ppm, want) in table {
            let got = Amount::from_fen(fen).mul_rate(Rate::from_ppm(ppm));
            assert_eq!(got.fen(), want, "{fen} * {ppm}ppm");
        }
    }

    #[test]
    fn mul_ratio_handles_odd_denominators() {
        assert_eq!(Amount::from_fen(10).mul_ratio(1, 3).fen(), 3); // 3.33 -> 3
        assert_eq!(Amount::from_fen(20).mul_ratio(1, 3).fen(), 7); // 6.67 -> 7
        assert_eq!(Amount::from_fen(1).mul_ratio(1, 2).fen(), 1); // 0.5 -> 1
        assert_eq!(Amount::from_fen(5).mul_ratio(1, 10).fen(), 1); // 0.5 -> 1
        assert_eq!(Amount::from_fen(4).mul_ratio(1, 10).fen(), 0); // 0.4 -> 0
    }

    #[test]
    fn split_down_puts_the_remainder_last() {
        assert_eq!(Amount::from_fen(1).split_down(24), (Amount::ZERO, Amount::from_fen(1)));
        assert_eq!(
            Amount::from_fen(1_000_000).split_down(12),
            (Amount::from_fen(83_333), Amount::from_fen(83_337))
        );
        assert_eq!(
            Amount::from_fen(300).split_down(3),
            (Amount::from_fen(100), Amount::from_fen(100))
        );
    }

    #[test]
    fn operators_panic_instead_of_wrapping() {
        let result = std::panic::catch_unwind(|| Amount::from_fen(i64::MAX) + Amount::from_fen(1));
        assert!(result.is_err());
        assert_eq!(
            Amount::from_fen(i64::MAX).checked_add(Amount::from_fen(1)),
            Err(AmountError::Overflow)
        );
    }

    #[test]
    fn serializes_as_integer_fen() {
        assert_eq!(serde_json::to_string(&Amount::from_fen(1234)).unwrap(), "1234");
        assert_eq!(serde_json::from_str::<Amount>("-5").unwrap(), Amount::from_fen(-5));
    }

    proptest::proptest! {
        #[test]
        fn yuan_round_trips(fen in -Amount::MAX_INPUT.fen()..=Amount::MAX_INPUT.fen()) {
            let a = Amount::from_fen(fen);
            proptest::prop_assert_eq!(Amount::parse_yuan(&a.to_string()), Ok(a));
        }

        #[test]
        fn split_down_sums_back(fen in 0i64..=Amount::MAX_INPUT.fen(), parts in 1u32..=24) {
            let (share, last) = Amount::from_fen(fen).split_down(parts);
            proptest::prop_assert!(share.fen() >= 0 && last >= share);
            proptest::prop_assert_eq!(share.fen() * i64::from(parts - 1) + last.fen(), fen);
        }
    }
}
