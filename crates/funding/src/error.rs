//! [`FundingError`]: why a provider gave no answer about a debit or a payout.

use identity::ProviderError;

/// No answer from the provider. Never a settlement: the operation stays pending and is asked
/// about again later.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FundingError {
    /// The provider could not be reached or is failing (timeout, 5xx, circuit open).
    #[error("the funding provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the call (HTTP 4xx) with its code: the request itself is wrong.
    #[error("the funding provider refused the request: {code} (HTTP {status})")]
    Rejected { status: u16, code: String },
    /// The provider answered something that is not the protocol.
    #[error("the funding provider's answer could not be understood: {0}")]
    BadResponse(String),
    /// The provider has no operation under this funding id (a status query only).
    #[error("the funding provider knows no operation with this id")]
    Unknown,
}

impl FundingError {
    /// A stable machine-readable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unavailable(_) => "funding_provider.unavailable",
            Self::Rejected { .. } => "funding_provider.rejected",
            Self::BadResponse(_) => "funding_provider.bad_response",
            Self::Unknown => "funding_provider.unknown",
        }
    }
}

impl From<ProviderError> for FundingError {
    fn from(error: ProviderError) -> Self {
        match error {
            ProviderError::Unavailable(outage) => Self::Unavailable(outage.to_string()),
            ProviderError::Rejected { status: 404, .. } => Self::Unknown,
            ProviderError::Rejected { status, code } => Self::Rejected { status, code },
            ProviderError::BadResponse(why) => Self::BadResponse(why),
        }
    }
}
