//! [`PersonName`]: a person's legal name as written on the ID card: 1 to 32 letters (Chinese
//! characters or another script), with `·` between the parts of a transliterated name
//! (`买买提·艾力`) and single spaces allowed between Latin parts.

use std::fmt;

/// A parsed name. Look-alike separators (`・`, `•`, `‧`, `･`, `．`) are normalized to `·`
/// (U+00B7), the form on ID cards.
///
/// No `Display`: the raw name comes out only through [`Self::as_str`], and `Debug` prints
/// [`Self::masked`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonName {
    text: String,
}

/// Why a text is not a person's name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonNameError {
    #[error("the name is empty")]
    Empty,
    #[error("a name has at most {MAX_CHARS} characters, this has {found}")]
    TooLong { found: usize },
    #[error("character {position} of the name is not a letter, a middle dot or a space")]
    Character { position: usize },
    #[error("a middle dot or space must sit between two letters")]
    Separator,
}

impl PersonNameError {
    /// A stable machine-readable code for API responses and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "person_name.empty",
            Self::TooLong { .. } => "person_name.too_long",
            Self::Character { .. } => "person_name.character",
            Self::Separator => "person_name.separator",
        }
    }
}

pub(crate) const MAX_CHARS: usize = 32;
const MIDDLE_DOT: char = '\u{00B7}';

impl PersonName {
    /// Parses a name; surrounding whitespace is ignored.
    pub fn parse(text: &str) -> Result<Self, PersonNameError> {
        let text = text.trim();
        let found = text.chars().count();
        if found == 0 {
            return Err(PersonNameError::Empty);
        }
        if found > MAX_CHARS {
            return Err(PersonNameError::TooLong { found });
        }
        let mut normalized = String::with_capacity(text.len());
        let mut previous_was_letter = false;
        for (i, c) in text.chars().enumerate() {
            let c = normalize_separator(c);
            if c.is_alphabetic() {
                previous_was_letter = true;
            } else if c == MIDDLE_DOT || c == ' ' {
                if !previous_was_letter {
                    return Err(PersonNameError::Separator);
                }
                previous_was_letter = false;
            } else {
                return Err(PersonNameError::Character { position: i + 1 });
            }
            normalized.push(c);
        }
        if !previous_was_letter {
            return Err(PersonNameError::Separator);
        }
        Ok(Self { text: normalized })
    }

    /// Wraps a name the caller made from known-good parts.
    #[cfg(feature = "testkit")]
    pub(crate) fn from_trusted(text: String) -> Self {
        debug_assert!(Self::parse(&text).is_ok(), "a made name must parse");
        Self { text }
    }

    /// The normalized name. This is PII: encrypt it at rest, never log it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The form for logs and responses (`vault::mask::name`): the first character, then a
    /// star for each other one (`张三` is `张*`, `欧阳娜娜` is `欧***`); one character is all star.
    pub fn masked(&self) -> String {
        vault::mask::name(&self.text)
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PersonName").field(&self.masked()).finish()
    }
}

/// Maps the dots people type in place of U+00B7 to U+00B7.
fn normalize_separator(c: char) -> char {
    match c {
        '\u{30FB}' | '\u{2022}' | '\u{2027}' | '\u{FF65}' | '\u{FF0E}' => MIDDLE_DOT,
        c => c,
    }
}
