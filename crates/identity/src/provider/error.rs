//! [`ProviderError`]: why a provider gave no answer, and whether the applicant should try later.

/// Why a provider call produced no answer. None of these is ever treated as a pass.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The provider could not be reached or is failing: tell the applicant to try later.
    #[error("the identity provider is unavailable ({0}); please try again later")]
    Unavailable(Outage),
    /// The provider refused this request (HTTP 4xx) with its own error code, e.g. a malformed
    /// field or a number it will not serve. Retrying the same request will not help.
    #[error("the identity provider refused the request: {code} (HTTP {status})")]
    Rejected { status: u16, code: String },
    /// The provider answered something that is not the protocol (bad JSON, unknown result).
    #[error("the identity provider's answer could not be understood: {0}")]
    BadResponse(String),
}

/// What kind of outage made a provider [`ProviderError::Unavailable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Outage {
    #[error("timed out")]
    Timeout,
    #[error("connection failed")]
    Connection,
    #[error("server error {status}")]
    ServerError { status: u16 },
    #[error("rate limited")]
    RateLimited,
    #[error("circuit open after repeated failures")]
    CircuitOpen,
    /// The simulator's documented outage fixture.
    #[error("simulated outage")]
    Simulated,
}

impl ProviderError {
    /// A stable machine-readable code for API responses and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unavailable(_) => "provider.unavailable",
            Self::Rejected { .. } => "provider.rejected",
            Self::BadResponse(_) => "provider.bad_response",
        }
    }

    /// Whether the fault is the provider's (an outage or a garbled answer), so the applicant
    /// should be told to try again later rather than that their details are wrong.
    pub fn is_try_later(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::BadResponse(_))
    }
}
