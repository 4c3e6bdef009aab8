//! Limits over time: the periodic review (`rules/limits/limit_review.json` over each line's
//! [`Behaviour`]) and temporary increases with their policy checks.
//!
//! A review never sets a limit below the account's exposure (principal owed plus open holds),
//! so lowering never breaks a hold; the credit core refuses it too (`LimitBelowExposure`), and
//! a hold placed between the read and the change is answered that way and counted as kept.
//! This module holds the table, the verdicts and the policy; the service methods that read an
//! account and send the change are in `limit_changes`.

use credit::{AccountId, Day};
use engine::{EngineRejection, SubmitError};
use money::Amount;
use serde::{Deserialize, Serialize};

use crate::behaviour::Behaviour;
use crate::table::{JdmTable, TableError};
use crate::tier::integer;

pub const LIMIT_REVIEW: &str = "limit_review";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewAction {
    Raise,
    Keep,
    Lower,
}

/// What the review table says about one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewVerdict {
    pub action: ReviewAction,
    pub new_limit: Amount,
    pub reason: Option<String>,
}

#[derive(Deserialize)]
struct Raw {
    action: ReviewAction,
    new_limit_fen: serde_json::Number,
    #[serde(default)]
    reason: Option<String>,
}

/// The compiled `limit_review` table.
#[derive(Debug)]
pub struct LimitReviewTable(JdmTable);

impl LimitReviewTable {
    pub fn from_json(json: &str) -> Result<LimitReviewTable, TableError> {
        JdmTable::from_json(LIMIT_REVIEW, json).map(LimitReviewTable)
    }

    pub fn load(dir: &std::path::Path) -> Result<LimitReviewTable, TableError> {
        JdmTable::load(dir, LIMIT_REVIEW).map(LimitReviewTable)
    }

    pub fn version(&self) -> String {
        self.0.version()
    }

    /// The table's verdict, before the exposure floor.
    pub fn decide(&self, behaviour: &Behaviour) -> Result<ReviewVerdict, TableError> {
        let bad = |error: String| TableError::Output {
            name: LIMIT_REVIEW.to_owned(),
            error,
        };
        let value = serde_json::to_value(behaviour).map_err(|e| bad(e.to_string()))?;
        let raw: Raw = self.0.evaluate(value)?;
        let fen = integer(&raw.new_limit_fen).filter(|f| *f >= 0).ok_or_else(|| {
            bad(format!(
                "new_limit_fen {} is not a whole number of fen",
                raw.new_limit_fen
            ))
        })?;
        Ok(ReviewVerdict {
            action: raw.action,
            new_limit: Amount::from_fen(fen),
            reason: raw.reason.filter(|r| !r.is_empty()),
        })
    }
}

/// What the review did to one line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LimitReview {
    pub account: AccountId,
    /// `keep` also when the table said lower but the exposure floor left nothing to lower.
    pub action: ReviewAction,
    pub before: Amount,
    pub after: Amount,
    pub exposure: Amount,
    pub reason: Option<String>,
    /// Why nothing was done, when the review could not run for this account (`ACCOUNT_NOT_FOUND`,
    /// `ENGINE_BUSY`, `LIMIT_TABLE_ERROR`, ...).
    pub skipped: Option<String>,
}

impl LimitReview {
    pub(crate) fn skipped(account: AccountId, why: &str) -> LimitReview {
        LimitReview {
            account,
            action: ReviewAction::Keep,
            before: Amount::ZERO,
            after: Amount::ZERO,
            exposure: Amount::ZERO,
            reason: None,
            skipped: Some(why.to_owned()),
        }
    }
}

/// Where a verdict lands once the exposure floor applies.
pub fn floored(verdict: &ReviewVerdict, limit: Amount, exposure: Amount) -> (ReviewAction, Amount) {
    match verdict.action {
        ReviewAction::Raise if verdict.new_limit > limit => (ReviewAction::Raise, verdict.new_limit),
        ReviewAction::Lower => {
            let target = verdict.new_limit.max(exposure);
            if target < limit {
                (ReviewAction::Lower, target)
            } else {
                (ReviewAction::Keep, limit)
            }
        }
        _ => (ReviewAction::Keep, limit),
    }
}

/// A temporary limit granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TemporaryGrant {
    pub amount: Amount,
    /// The last day it can be used.
    pub expires_on: Day,
}

/// Why a temporary limit was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TemporaryRefusal {
    #[error("a temporary limit lasts 1 to 90 days")]
    Days,
    #[error("the amount must be positive and at most the permanent limit and 50,000 yuan")]
    Amount,
    #[error("no such account")]
    AccountNotFound,
    #[error("the account has no credit line")]
    NoLine,
    #[error("the account is frozen")]
    Frozen,
    #[error("the account is charged off")]
    ChargedOff,
    #[error("the account is not current (something is past due)")]
    NotCurrent,
    #[error("the engine refused it: {0}")]
    Engine(EngineRejection),
    #[error("try again later: {0}")]
    TryLater(SubmitError),
}

impl TemporaryRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            TemporaryRefusal::Days => "days_out_of_range",
            TemporaryRefusal::Amount => "amount_out_of_range",
            TemporaryRefusal::AccountNotFound => "account_not_found",
            TemporaryRefusal::NoLine => "no_line",
            TemporaryRefusal::Frozen => "account_frozen",
            TemporaryRefusal::ChargedOff => "account_charged_off",
            TemporaryRefusal::NotCurrent => "account_not_current",
            TemporaryRefusal::Engine(rejection) => rejection.code(),
            TemporaryRefusal::TryLater(error) => crate::engine_io::submit_code(*error),
        }
    }
}

/// The temporary-limit policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TemporaryPolicy {
    pub days_max: u16,
    /// At most this many times the permanent limit, in percent.
    pub of_limit_pct_max: i64,
    pub amount_max: Amount,
}

impl Default for TemporaryPolicy {
    fn default() -> TemporaryPolicy {
        TemporaryPolicy {
            days_max: 90,
            of_limit_pct_max: 100,
            amount_max: Amount::yuan(50_000),
        }
    }
}

impl TemporaryPolicy {
    /// The checks, in order: the line, the account's standing, then the amount.
    pub fn check(&self, account: &credit::Account, amount: Amount) -> Result<(), TemporaryRefusal> {
        if account.is_charged_off() {
            return Err(TemporaryRefusal::ChargedOff);
        }
        if !account.limit.is_positive() {
            return Err(TemporaryRefusal::NoLine);
        }
        if account.frozen.is_some() {
            return Err(TemporaryRefusal::Frozen);
        }
        let dq = &account.delinquency;
        if dq.dpd(account.day) > 0 || dq.past_due_total().is_positive() {
            return Err(TemporaryRefusal::NotCurrent);
        }
        let cap = account.limit.mul_ratio(self.of_limit_pct_max, 100).min(self.amount_max);
        if !amount.is_positive() || amount > cap {
            return Err(TemporaryRefusal::Amount);
        }
        Ok(())
    }
}
