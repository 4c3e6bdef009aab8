//! [`Decision`]: what an application came to, with stable codes the API and the app show.

use credit::AccountId;
use money::Amount;
use serde::{Deserialize, Serialize};

use crate::application::ApplicationId;
use crate::tier::PriceTier;

/// The outcome of an application. The codes (`approved`, `declined`, ...) are stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The line is open and usable now.
    Approved,
    /// Refused, with reason codes.
    Declined,
    /// Queued for an analyst; the applicant hears back later.
    Review,
    /// A provider or the engine could not answer: nothing was decided, try again later.
    TryLater,
    /// This ID number already has a line, or an application in review or in progress.
    Duplicate,
    /// A field did not parse ([`Decision::field`] names it).
    InvalidInput,
    /// Risk control asks for a step-up (OTP or liveness) before it decides: pass it and apply
    /// again with the step-up in the context.
    ChallengeRequired,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Approved => "approved",
            Outcome::Declined => "declined",
            Outcome::Review => "review",
            Outcome::TryLater => "try_later",
            Outcome::Duplicate => "duplicate",
            Outcome::InvalidInput => "invalid_input",
            Outcome::ChallengeRequired => "challenge_required",
        }
    }
}

/// The score the model gave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoreSummary {
    pub pd: f64,
    pub score: f64,
    pub band: String,
}

/// Where the time of one application went, in microseconds (measured, not decided on).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timings {
    pub identity_us: u64,
    pub scoring_us: u64,
    pub engine_us: u64,
    pub table_us: u64,
    pub total_us: u64,
}

/// What an application came to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// `None` only for [`Outcome::InvalidInput`] (nothing is recorded for an unparsed form).
    pub application: Option<ApplicationId>,
    pub outcome: Outcome,
    /// The field that did not parse, and its code in `reasons`.
    pub field: Option<String>,
    /// The step-up asked for, with [`Outcome::ChallengeRequired`].
    pub challenge: Option<risk::ChallengeKind>,
    /// Stable reason codes: identity, risk, table and scorecard reasons (`SCORE_*`), in that
    /// order.
    pub reasons: Vec<String>,
    pub account: Option<AccountId>,
    /// The approved limit, or the limit proposed to the analyst for a review.
    pub limit: Option<Amount>,
    pub tier: Option<PriceTier>,
    pub billing_day: Option<u8>,
    pub score: Option<ScoreSummary>,
    /// The risk rules version and the limit table version that decided.
    pub rules: Vec<String>,
    pub timings: Timings,
}

impl Decision {
    pub(crate) fn new(outcome: Outcome) -> Decision {
        Decision {
            application: None,
            outcome,
            field: None,
            challenge: None,
            reasons: Vec::new(),
            account: None,
            limit: None,
            tier: None,
            billing_day: None,
            score: None,
            rules: Vec::new(),
            timings: Timings::default(),
        }
    }

    pub(crate) fn with_reasons<S: Into<String>>(mut self, reasons: impl IntoIterator<Item = S>) -> Decision {
        self.reasons.extend(reasons.into_iter().map(Into::into));
        self
    }
}
