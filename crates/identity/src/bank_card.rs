//! [`BankCard`]: a payment card number (12 to 19 digits, Luhn-valid) and its brand from a small
//! table of issuer prefixes.

use std::fmt;

/// A parsed card number, stored as its digits only.
///
/// No `Display`: the raw number comes out only through [`Self::as_str`], and `Debug` prints
/// [`Self::masked`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BankCard {
    digits: String,
}

/// The card brand implied by the leading digits, when the small table here knows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CardBrand {
    UnionPay,
    Visa,
    Mastercard,
    Jcb,
    Amex,
    Unknown,
}

/// Why a text is not a card number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BankCardError {
    #[error("a card number has 12 to 19 digits, this has {found}")]
    Length { found: usize },
    #[error("character {position} of the card number is not a digit")]
    Character { position: usize },
    #[error("the card number's check digit does not match (mistyped?)")]
    Luhn,
}

impl BankCardError {
    /// A stable machine-readable code for API responses and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Length { .. } => "bank_card.length",
            Self::Character { .. } => "bank_card.character",
            Self::Luhn => "bank_card.luhn",
        }
    }
}

pub(crate) const MIN_DIGITS: usize = 12;
pub(crate) const MAX_DIGITS: usize = 19;
/// Longest text looked at (19 digits with a separator between each pair).
const MAX_INPUT_CHARS: usize = 2 * MAX_DIGITS;

impl BankCard {
    /// Parses a card number; spaces and hyphens between digits are ignored.
    pub fn parse(text: &str) -> Result<Self, BankCardError> {
        let text = text.trim();
        let chars = text.chars().count();
        if chars > MAX_INPUT_CHARS {
            return Err(BankCardError::Length { found: chars });
        }
        let mut digits = String::with_capacity(MAX_DIGITS);
        for (i, c) in text.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' => {}
                _ => return Err(BankCardError::Character { position: i + 1 }),
            }
        }
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()) {
            return Err(BankCardError::Length { found: digits.len() });
        }
        if !luhn_sum(digits.as_bytes()).is_multiple_of(10) {
            return Err(BankCardError::Luhn);
        }
        Ok(Self { digits })
    }

    /// Completes `digits` (ASCII digits, one short of the wanted 12..=19) with its Luhn check
    /// digit.
    #[cfg(feature = "testkit")]
    pub(crate) fn complete(mut digits: String) -> Self {
        digits.push('0');
        let check = (10 - luhn_sum(digits.as_bytes()) % 10) % 10;
        digits.pop();
        digits.push(char::from(b'0' + check as u8));
        debug_assert!(Self::parse(&digits).is_ok(), "a completed card must parse");
        Self { digits }
    }

    /// The digits. This is PII: encrypt it at rest, never log it.
    pub fn as_str(&self) -> &str {
        &self.digits
    }

    /// The first six digits (the issuer identification number), a risk feature.
    pub fn bin(&self) -> &str {
        &self.digits[..6]
    }

    pub fn last4(&self) -> &str {
        &self.digits[self.digits.len() - 4..]
    }

    pub fn brand(&self) -> CardBrand {
        brand_of(&self.digits)
    }

    /// The form for logs and responses (`vault::mask::bank_card`): the last four digits only
    /// (`**** 1234`).
    pub fn masked(&self) -> String {
        vault::mask::bank_card(&self.digits)
    }
}

impl fmt::Debug for BankCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BankCard").field(&self.masked()).finish()
    }
}

/// The brand of a digit string by leading digits: Amex 34/37, JCB 3528-3589, Mastercard 51-55
/// and 2221-2720, UnionPay 62, Visa 4.
pub(crate) fn brand_of(digits: &str) -> CardBrand {
    let prefix = |n: usize| digits.get(..n).and_then(|p| p.parse::<u32>().ok()).unwrap_or(0);
    match (prefix(1), prefix(2), prefix(4)) {
        (_, 34 | 37, _) => CardBrand::Amex,
        (_, _, 3528..=3589) => CardBrand::Jcb,
        (_, 51..=55, _) | (_, _, 2221..=2720) => CardBrand::Mastercard,
        (_, 62, _) => CardBrand::UnionPay,
        (4, _, _) => CardBrand::Visa,
        _ => CardBrand::Unknown,
    }
}

/// The Luhn sum of ASCII digits: from the right, every second digit doubled (minus 9 when over
/// 9). A number is valid when the sum is a multiple of 10.
pub(crate) fn luhn_sum(digits: &[u8]) -> u32 {
    digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d - b'0');
            if i % 2 == 1 {
                if d > 4 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum()
}
