//! The answers providers give: name/ID match, the four-element card check and liveness.

use crate::{BankCard, Mobile, PersonName, ResidentId};

/// Whether the name registered for an ID number is the given name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameIdMatch {
    Match,
    Mismatch,
    /// The registry has no such ID number.
    NoRecord,
}

/// The four elements of a bank card check: the card, and the cardholder's name, ID number and
/// the mobile number reserved with the bank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FourElements {
    pub card: BankCard,
    pub name: PersonName,
    pub id: ResidentId,
    pub mobile: Mobile,
}

/// One of the four elements, named when a provider says which did not match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CardElement {
    Card,
    Name,
    IdNumber,
    Mobile,
}

impl CardElement {
    /// The protocol's name for the element.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Card => "card",
            Self::Name => "name",
            Self::IdNumber => "id_number",
            Self::Mobile => "mobile",
        }
    }

    pub(crate) fn from_protocol(text: &str) -> Option<Self> {
        [Self::Card, Self::Name, Self::IdNumber, Self::Mobile]
            .into_iter()
            .find(|e| e.as_str() == text)
    }
}

/// The answer to a four-element card check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CardCheck {
    Verified,
    /// The elements do not belong together; which one, if the provider says.
    Mismatch(Option<CardElement>),
    /// The provider cannot check this card (issuer not connected, card type not served).
    CardNotSupported,
}

/// A liveness score in per mille: 0 is surely not the live person on the ID, 1000 surely is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LivenessScore(u16);

impl LivenessScore {
    pub const MAX: Self = Self(1000);

    /// A score from per mille, `None` above 1000.
    pub fn from_permille(permille: u16) -> Option<Self> {
        (permille <= 1000).then_some(Self(permille))
    }

    pub fn permille(self) -> u16 {
        self.0
    }
}

/// A liveness result: the provider's score and whether it reaches the configured threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Liveness {
    pub score: LivenessScore,
    pub passed: bool,
}

impl Liveness {
    /// Judges a score against a threshold: it passes when `score >= threshold`.
    pub fn judge(score: LivenessScore, threshold: LivenessScore) -> Self {
        Self {
            score,
            passed: score >= threshold,
        }
    }
}
