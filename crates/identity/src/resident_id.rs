//! [`ResidentId`]: a mainland Chinese resident ID number (GB 11643-1999, 18 characters) that has
//! been parsed, with its derived birth date, sex and region, and the ways it can be rejected.

use std::fmt;

use jiff::civil::Date;

use crate::gb11643;
use crate::region;

/// Birth dates before this day are not plausible for a living applicant.
const EARLIEST_BIRTH: Date = jiff::civil::date(1900, 1, 1);

/// A resident ID number whose length, characters, region code, birth date and check digit have
/// been checked. A lowercase `x` check character is stored as `X`.
///
/// There is deliberately no `Display`: the raw number comes out only through [`Self::as_str`],
/// and `Debug` prints [`Self::masked`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResidentId {
    /// 18 ASCII characters: 17 digits then a digit or `X`.
    text: String,
    birth_date: Date,
}

/// Sex as encoded in the sequence code: odd for male, even for female.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    Male,
    Female,
}

/// Why a text is not a resident ID number, in the order the checks run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    #[error("an ID number has 18 characters, this has {found}")]
    Length { found: usize },
    #[error("character {position} of the ID number is not allowed (17 digits then a digit or X)")]
    Character { position: usize },
    #[error("the ID number's region code is not a mainland region")]
    Region,
    #[error("the ID number's birth date is not a real date on or after 1900-01-01")]
    BirthDate,
    #[error("the ID number's birth date is in the future")]
    FutureBirthDate,
    #[error("the ID number's check digit does not match (mistyped?)")]
    CheckDigit,
}

impl ResidentIdError {
    /// A stable machine-readable code for API responses and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Length { .. } => "id_number.length",
            Self::Character { .. } => "id_number.character",
            Self::Region => "id_number.region",
            Self::BirthDate => "id_number.birth_date",
            Self::FutureBirthDate => "id_number.birth_date_future",
            Self::CheckDigit => "id_number.check_digit",
        }
    }
}

impl ResidentId {
    /// Parses an ID number, refusing a birth date after `today` (the caller's business date:
    /// this crate reads no clock). Surrounding whitespace is ignored.
    pub fn parse(text: &str, today: Date) -> Result<Self, ResidentIdError> {
        let id = Self::parse_format(text)?;
        if id.birth_date > today {
            return Err(ResidentIdError::FutureBirthDate);
        }
        Ok(id)
    }

    /// Every check but the future-date one: for a provider (the simulator) that has no calendar.
    pub(crate) fn parse_format(text: &str) -> Result<Self, ResidentIdError> {
        let text = text.trim();
        let found = text.chars().count();
        if found != 18 {
            return Err(ResidentIdError::Length { found });
        }
        let mut bytes: [u8; 18] = text.as_bytes().try_into().map_err(|_| first_bad_character(text))?;
        if let Some(position) = bytes[..17].iter().position(|b| !b.is_ascii_digit()) {
            return Err(ResidentIdError::Character { position: position + 1 });
        }
        bytes[17] = bytes[17].to_ascii_uppercase();
        if !(bytes[17].is_ascii_digit() || bytes[17] == b'X') {
            return Err(ResidentIdError::Character { position: 18 });
        }
        let region: &[u8; 6] = bytes[..6].try_into().map_err(|_| ResidentIdError::Region)?;
        if !region::is_plausible_region(region) {
            return Err(ResidentIdError::Region);
        }
        let birth_date = birth_date_of(&bytes[6..14]).ok_or(ResidentIdError::BirthDate)?;
        let first17: &[u8; 17] = bytes[..17].try_into().map_err(|_| ResidentIdError::CheckDigit)?;
        if gb11643::check_char(first17) != bytes[17] {
            return Err(ResidentIdError::CheckDigit);
        }
        // All 18 bytes are ASCII digits or 'X', so this is valid UTF-8.
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Ok(Self { text, birth_date })
    }

    /// Builds the number for a region (six ASCII digits the caller knows are plausible), a
    /// birth date on or after 1900 and a sequence below 1000, adding the check digit.
    #[cfg(feature = "testkit")]
    pub(crate) fn assemble(region: [u8; 6], birth_date: Date, sequence: u16) -> Self {
        let mut text = String::with_capacity(18);
        text.extend(region.iter().map(|&b| char::from(b)));
        text.push_str(&format!(
            "{:04}{:02}{:02}{:03}",
            birth_date.year(),
            birth_date.month(),
            birth_date.day(),
            sequence % 1000
        ));
        let mut first17 = [b'0'; 17];
        first17.copy_from_slice(&text.as_bytes()[..17]);
        text.push(char::from(gb11643::check_char(&first17)));
        debug_assert!(Self::parse_format(&text).is_ok(), "an assembled ID must parse");
        Self { text, birth_date }
    }

    /// The normalized 18-character number. This is PII: encrypt it at rest, never log it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The household-registration region code (first six digits).
    pub fn region_code(&self) -> &str {
        &self.text[..6]
    }

    /// The two-digit province-level prefix, one of [`crate::region::PROVINCE_PREFIXES`].
    pub fn province_code(&self) -> &str {
        &self.text[..2]
    }

    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    /// The three-digit sequence code (digits 15 to 17).
    pub fn sequence(&self) -> &str {
        &self.text[14..17]
    }

    pub fn sex(&self) -> Sex {
        if (self.text.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Age in whole years on `date`, or `None` if `date` is before the birth date. Someone born
    /// on 29 February turns a year older on 1 March in common years.
    pub fn age_on(&self, date: Date) -> Option<u16> {
        let born = self.birth_date;
        if date < born {
            return None;
        }
        let had_birthday = (date.month(), date.day()) >= (born.month(), born.day());
        let years = i32::from(date.year()) - i32::from(born.year()) - i32::from(!had_birthday);
        u16::try_from(years).ok()
    }

    /// The form for logs and responses (`vault::mask::resident_id`): the first four
    /// characters (province and city), ten stars, the last four (`1101**********123X`).
    pub fn masked(&self) -> String {
        vault::mask::resident_id(&self.text)
    }
}

impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ResidentId").field(&self.masked()).finish()
    }
}

/// The position (1-based) of the first non-ASCII character of an 18-character text.
fn first_bad_character(text: &str) -> ResidentIdError {
    let position = text.chars().position(|c| !c.is_ascii()).map_or(1, |p| p + 1);
    ResidentIdError::Character { position }
}

/// Parses eight ASCII digits `YYYYMMDD` into a date that exists and is not before 1900.
fn birth_date_of(digits: &[u8]) -> Option<Date> {
    let number = |range: std::ops::Range<usize>| digits[range].iter().fold(0i16, |n, &d| n * 10 + i16::from(d - b'0'));
    let month = i8::try_from(number(4..6)).ok()?;
    let day = i8::try_from(number(6..8)).ok()?;
    let date = Date::new(number(0..4), month, day).ok()?;
    (date >= EARLIEST_BIRTH).then_some(date)
}
