//! What onboarding asks the engine: decide a credit application ([`CreditApplication`]) for
//! someone who may hold no account yet, then open the approved line ([`LineOpening`]).
//!
//! The two are separate journaled requests because a decision comes between them that is not
//! the engine's (the limit table, or an analyst days later):
//!
//! 1. [`crate::Request::CreditApplication`] runs the `credit_application` checkpoint for the
//!    would-be account id (derived by the shell from the ID number's blind index, so every
//!    application of one person is one user to risk and lands in one partition), with the
//!    model's PD and score passed in. The velocity features (applications per ID, per device,
//!    per IP) and the fraud lists see it; the decision and its reasons are journaled with it
//!    (a stopped application is journaled as refused by risk). Nothing is opened. An applicant
//!    who already holds a line is refused with `AccountExists` before risk is asked.
//! 2. [`crate::Request::OpenLine`] opens the account with its limit and billing day and sets
//!    its credit profile with the price tier, in one journaled op that also keeps who approved
//!    it and why. A second opening for the same account is refused with `AccountExists`, so two
//!    approvals of one ID number racing each other open exactly one line.

use credit::{AccountId, Command};
use money::Amount;
use risk::{CheckpointDetail, ReasonCode};
use serde::{Deserialize, Serialize};

use crate::pricing::{CreditProfile, Pricing};

/// Reason codes a line opening keeps; more are dropped when it is resolved.
pub const LINE_REASONS_MAX: usize = 16;

/// A credit application to decide.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreditApplication {
    /// The account id the line would have.
    pub applicant: AccountId,
    /// The scoring model's probability of default for this application (the rules read it).
    pub pd: f64,
    pub score: i32,
    pub requested_limit: Amount,
    pub declared_monthly_income: Option<Amount>,
}

impl CreditApplication {
    /// The checkpoint detail the rules see.
    pub fn detail(&self) -> CheckpointDetail {
        CheckpointDetail::CreditApplication {
            requested_limit: self.requested_limit,
            declared_monthly_income: self.declared_monthly_income,
        }
    }

    /// The profile the decision is taken with (no price yet).
    pub fn profile(&self) -> CreditProfile {
        CreditProfile {
            pd: self.pd,
            score: self.score,
            pricing: None,
        }
    }
}

/// Who approved a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Approval {
    /// The application flow, at once.
    Automatic,
    /// An analyst, from the review queue.
    Analyst,
    /// An operator opening a line directly at a price tier (`POST /v1/customers` with
    /// `price_tier`), without an application. Appended last: journals written before it decode
    /// as they were.
    Operator,
}

/// An approved line to open.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LineOpening {
    pub account: AccountId,
    pub limit: Amount,
    /// 1 to 28.
    pub billing_day: u8,
    pub pd: f64,
    pub score: i32,
    pub pricing: Pricing,
    pub approval: Approval,
    /// The decision's reason codes (at most [`LINE_REASONS_MAX`] are kept).
    pub reasons: Vec<ReasonCode>,
}

impl LineOpening {
    /// The credit command that opens the account.
    pub fn command(&self) -> Command {
        Command::OpenAccount {
            account: self.account,
            limit: self.limit,
            billing_day: self.billing_day,
        }
    }

    /// The profile the account keeps: scores and price.
    pub fn profile(&self) -> CreditProfile {
        CreditProfile {
            pd: self.pd,
            score: self.score,
            pricing: Some(self.pricing),
        }
    }

    /// The opening as it is journaled: its reasons bounded.
    pub(crate) fn bounded(&self) -> LineOpening {
        let mut line = self.clone();
        line.reasons.truncate(LINE_REASONS_MAX);
        line
    }
}
