//! The JSON protocol the HTTP adapters speak with a funding provider, and the body of the
//! provider's callbacks to us. Every call carries `Idempotency-Key: <funding id>`.
//!
//! | call | body | answer |
//! | --- | --- | --- |
//! | `POST /v1/debits` | [`DebitCall`] | [`StatusAnswer`] (`pending`, `settled`, `failed`) |
//! | `POST /v1/debits/status` | [`StatusQuery`] | [`StatusAnswer`], 404 for an unknown id |
//! | `POST /v1/payouts` | [`PayoutCall`] | [`StatusAnswer`] (`pending`, `paid`, `failed`, `returned`) |
//! | `POST /v1/payouts/status` | [`StatusQuery`] | [`StatusAnswer`], 404 for an unknown id |
//!
//! A callback (`POST` to the server's `/v1/providers/payments/callback` or
//! `/v1/providers/payouts/callback`) is a [`Callback`] signed as [`crate::callback`] says.

use serde::{Deserialize, Serialize};

use crate::{DebitAnswer, DebitStatus, FundingError, PayoutAnswer, PayoutStatus};

pub const DEBIT_PATH: &str = "/v1/debits";
pub const DEBIT_STATUS_PATH: &str = "/v1/debits/status";
pub const PAYOUT_PATH: &str = "/v1/payouts";
pub const PAYOUT_STATUS_PATH: &str = "/v1/payouts/status";

/// Longest provider reference or reason code kept (they reach the journal and responses).
pub const MAX_TEXT_CHARS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebitCall {
    pub funding_id: String,
    pub card_number: String,
    pub amount_fen: i64,
}

pub type PayoutCall = DebitCall;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusQuery {
    pub funding_id: String,
}

/// The provider's answer about one operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusAnswer {
    /// `pending`, `settled`, `failed` (debits); `pending`, `paid`, `failed`, `returned` (payouts).
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub provider_ref: Option<String>,
}

/// A provider's callback: where one of our operations stands now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Callback {
    pub funding_id: String,
    pub status: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub provider_ref: Option<String>,
}

/// A short code or reference from outside, or `None` when it is not one (too long, or with
/// characters other than letters, digits and `._-`).
pub fn clean_text(text: Option<String>) -> Result<Option<String>, FundingError> {
    match text {
        None => Ok(None),
        Some(t)
            if !t.is_empty()
                && t.len() <= MAX_TEXT_CHARS
                && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) =>
        {
            Ok(Some(t))
        }
        Some(_) => Err(FundingError::BadResponse(
            "a reference or reason that is not a short code".into(),
        )),
    }
}

fn reason(reason: Option<String>) -> Result<String, FundingError> {
    Ok(clean_text(reason)?.unwrap_or_else(|| "unspecified".to_owned()))
}

impl StatusAnswer {
    pub fn debit(self) -> Result<DebitAnswer, FundingError> {
        let status = match self.status.as_str() {
            "pending" => DebitStatus::Pending,
            "settled" => DebitStatus::Settled,
            "failed" => DebitStatus::Failed(reason(self.reason)?),
            other => return Err(FundingError::BadResponse(format!("unknown debit status {other:.20}"))),
        };
        Ok(DebitAnswer {
            status,
            provider_ref: clean_text(self.provider_ref)?,
        })
    }

    pub fn payout(self) -> Result<PayoutAnswer, FundingError> {
        let status = match self.status.as_str() {
            "pending" => PayoutStatus::Pending,
            "paid" => PayoutStatus::Paid,
            "failed" => PayoutStatus::Failed(reason(self.reason)?),
            "returned" => PayoutStatus::Returned(reason(self.reason)?),
            other => return Err(FundingError::BadResponse(format!("unknown payout status {other:.20}"))),
        };
        Ok(PayoutAnswer {
            status,
            provider_ref: clean_text(self.provider_ref)?,
        })
    }

    pub fn of_debit(answer: &DebitAnswer) -> StatusAnswer {
        let (status, reason) = match &answer.status {
            DebitStatus::Pending => ("pending", None),
            DebitStatus::Settled => ("settled", None),
            DebitStatus::Failed(r) => ("failed", Some(r.clone())),
        };
        StatusAnswer {
            status: status.to_owned(),
            reason,
            provider_ref: answer.provider_ref.clone(),
        }
    }

    pub fn of_payout(answer: &PayoutAnswer) -> StatusAnswer {
        let (status, reason) = match &answer.status {
            PayoutStatus::Pending => ("pending", None),
            PayoutStatus::Paid => ("paid", None),
            PayoutStatus::Failed(r) => ("failed", Some(r.clone())),
            PayoutStatus::Returned(r) => ("returned", Some(r.clone())),
        };
        StatusAnswer {
            status: status.to_owned(),
            reason,
            provider_ref: answer.provider_ref.clone(),
        }
    }
}
