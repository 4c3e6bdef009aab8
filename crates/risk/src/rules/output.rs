//! The output contract of a checkpoint graph (see `rules/README.md`):
//! `{ "outcome": "allow" | "challenge" | "review" | "deny", "reasons": ["CODE", ...],
//!    "challenge": "otp" | "liveness" }`, the last required exactly when the outcome is
//! challenge. [`parse_output`] turns a result into an [`Outcome`] and reason codes, or says
//! what broke the contract.

use super::value::OutValue;
use crate::decision::{ChallengeKind, Outcome, ReasonCode, ReasonCodeError};

/// A graph result that keeps the contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RuleOutput {
    pub outcome: Outcome,
    pub reasons: Vec<ReasonCode>,
}

/// How a graph result breaks the contract.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutputError {
    #[error("the result is not an object")]
    NotObject,
    #[error("the result has no string `outcome`")]
    MissingOutcome,
    #[error("outcome {0:?} is not allow, challenge, review or deny")]
    UnknownOutcome(String),
    #[error("outcome challenge needs `challenge`: otp or liveness")]
    MissingChallenge,
    #[error("challenge {0:?} is not otp or liveness")]
    UnknownChallenge(String),
    #[error("`reasons` is not a list of strings")]
    ReasonsNotList,
    /// Carries the code's error in its message (not as a `source`, which a chain would print
    /// a second time).
    #[error("bad reason code: {0}")]
    Reason(ReasonCodeError),
}

impl From<ReasonCodeError> for OutputError {
    fn from(error: ReasonCodeError) -> OutputError {
        OutputError::Reason(error)
    }
}

pub(crate) fn parse_output(result: &OutValue<'_>) -> Result<RuleOutput, OutputError> {
    if !matches!(result, OutValue::Object(_)) {
        return Err(OutputError::NotObject);
    }
    let outcome = match result.get("outcome") {
        Some(OutValue::Str(s)) => parse_outcome(s, result.get("challenge"))?,
        _ => return Err(OutputError::MissingOutcome),
    };
    let mut reasons: Vec<ReasonCode> = Vec::new();
    match result.get("reasons") {
        None | Some(OutValue::Null) => {}
        Some(OutValue::Array(items)) => {
            for item in items {
                let OutValue::Str(text) = item else {
                    return Err(OutputError::ReasonsNotList);
                };
                let code = ReasonCode::parse(text)?;
                if !reasons.contains(&code) {
                    reasons.push(code);
                }
            }
        }
        Some(_) => return Err(OutputError::ReasonsNotList),
    }
    Ok(RuleOutput { outcome, reasons })
}

fn parse_outcome(text: &str, challenge: Option<&OutValue<'_>>) -> Result<Outcome, OutputError> {
    Ok(match text {
        "allow" => Outcome::Allow,
        "review" => Outcome::Review,
        "deny" => Outcome::Deny,
        "challenge" => Outcome::Challenge(match challenge {
            Some(OutValue::Str(kind)) if kind == "otp" => ChallengeKind::Otp,
            Some(OutValue::Str(kind)) if kind == "liveness" => ChallengeKind::Liveness,
            Some(OutValue::Str(kind)) => return Err(OutputError::UnknownChallenge(kind.to_string())),
            _ => return Err(OutputError::MissingChallenge),
        }),
        other => return Err(OutputError::UnknownOutcome(other.to_owned())),
    })
}
