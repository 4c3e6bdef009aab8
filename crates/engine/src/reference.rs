//! [`Reference`]: the merchant's own reference of a payment (its order id), kept with the
//! transaction so the merchant reads it back.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A merchant's reference: 1 to [`Reference::MAX_CHARS`] characters, none of them a control
/// character. Made only by [`Reference::parse`]; the journal and snapshots hold it as its text
/// (`#[serde(transparent)]`) and read it back as written, so a stored reference replays even if
/// the rule ever tightens.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Reference(String);

/// Why a text is not a [`Reference`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("a reference is 1 to 128 characters")]
    Length,
    #[error("a reference has no control characters")]
    Control,
}

impl Reference {
    /// The longest reference, in characters.
    pub const MAX_CHARS: usize = 128;

    pub fn parse(text: &str) -> Result<Reference, ReferenceError> {
        if !(1..=Reference::MAX_CHARS).contains(&text.chars().count()) {
            return Err(ReferenceError::Length);
        }
        if text.chars().any(char::is_control) {
            return Err(ReferenceError::Control);
        }
        Ok(Reference(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Reference({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_one_to_128_characters_without_control_characters() {
        assert_eq!(
            Reference::parse("order-42").map(|r| r.to_string()),
            Ok("order-42".into())
        );
        assert!(Reference::parse(&"字".repeat(128)).is_ok(), "characters, not bytes");
        assert_eq!(Reference::parse(""), Err(ReferenceError::Length));
        assert_eq!(Reference::parse(&"x".repeat(129)), Err(ReferenceError::Length));
        assert_eq!(Reference::parse("a\nb"), Err(ReferenceError::Control));
        let bytes = postcard::to_stdvec(&Reference::parse("r1").unwrap()).unwrap();
        assert_eq!(bytes, postcard::to_stdvec("r1").unwrap(), "stored as its text");
    }
}
