//! [`Mobile`]: a mainland China mobile number (11 digits, `1[3-9]` then nine digits), with an
//! optional `+86` / `0086` / `86` country prefix removed.

use std::fmt;

/// A parsed mainland mobile number, stored as its 11 national digits.
///
/// No `Display`: the raw number comes out only through [`Self::as_str`] or [`Self::e164`], and
/// `Debug` prints [`Self::masked`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mobile {
    digits: String,
}

/// Why a text is not a mainland mobile number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MobileError {
    #[error("a mobile number has 11 digits after the country code, this has {found}")]
    Length { found: usize },
    #[error("character {position} of the mobile number is not a digit")]
    Character { position: usize },
    #[error("a mainland mobile number starts with 13 to 19")]
    Prefix,
}

impl MobileError {
    /// A stable machine-readable code for API responses and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Length { .. } => "mobile.length",
            Self::Character { .. } => "mobile.character",
            Self::Prefix => "mobile.prefix",
        }
    }
}

/// Longest text looked at; anything longer is refused by length without scanning it.
const MAX_INPUT_CHARS: usize = 32;

impl Mobile {
    /// Parses a mobile number. Spaces and hyphens between digits are ignored, and a leading
    /// `+86`, `0086` or `86` is removed when what follows is 11 digits.
    pub fn parse(text: &str) -> Result<Self, MobileError> {
        let text = text.trim();
        if text.chars().count() > MAX_INPUT_CHARS {
            return Err(MobileError::Length {
                found: text.chars().count(),
            });
        }
        let mut digits = String::with_capacity(16);
        for (i, c) in text.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' => {}
                '+' if i == 0 => {}
                _ => return Err(MobileError::Character { position: i + 1 }),
            }
        }
        let national = strip_country_code(&digits, text.starts_with('+'))?;
        if national.len() != 11 {
            return Err(MobileError::Length { found: national.len() });
        }
        let bytes = national.as_bytes();
        if bytes[0] != b'1' || !(b'3'..=b'9').contains(&bytes[1]) {
            return Err(MobileError::Prefix);
        }
        Ok(Self {
            digits: national.to_owned(),
        })
    }

    /// Wraps 11 digits the caller made in the right shape.
    #[cfg(feature = "testkit")]
    pub(crate) fn from_trusted(digits: String) -> Self {
        debug_assert!(Self::parse(&digits).is_ok(), "a made mobile must parse");
        Self { digits }
    }

    /// The 11 national digits. This is PII: encrypt it at rest, never log it.
    pub fn as_str(&self) -> &str {
        &self.digits
    }

    /// The E.164 form, `+86` and the 11 digits.
    pub fn e164(&self) -> String {
        format!("+86{}", self.digits)
    }

    /// The form for logs and responses (`vault::mask::mobile`): first three, four stars, last
    /// four (`138****5678`).
    pub fn masked(&self) -> String {
        vault::mask::mobile(&self.digits)
    }
}

impl fmt::Debug for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Mobile").field(&self.masked()).finish()
    }
}

/// Removes a country code: a number written with `+` must be `+86` (any other country is not a
/// mainland number); otherwise `0086` or `86` is removed only when 11 digits remain (an 11-digit
/// mainland number never starts with 86, so this is unambiguous).
fn strip_country_code(digits: &str, had_plus: bool) -> Result<&str, MobileError> {
    if had_plus {
        return digits.strip_prefix("86").ok_or(MobileError::Prefix);
    }
    for prefix in ["0086", "86"] {
        if let Some(rest) = digits.strip_prefix(prefix)
            && rest.len() == 11
        {
            return Ok(rest);
        }
    }
    Ok(digits)
}
