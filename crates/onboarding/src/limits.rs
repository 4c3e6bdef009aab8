//! Limits over time: the periodic review (`rules/limits/limit_review.json` over each line's
//! [`Behaviour`]) and temporary increases with their policy checks.
//!
//! A review never sets a limit below the account's exposure (principal owed plus open holds),
//! so lowering never breaks a hold; the credit core refuses it too (`LimitBelowExposure`), and
//! a hold placed between the read and the change is answered that way and counted as kept.

use credit::{AccountId, Command, Day, Rejection};
use engine::{Engine, EngineRejection, SubmitError};
use jiff::Timestamp;
use money::Amount;
use serde::{Deserialize, Serialize};

use crate::behaviour::Behaviour;
use crate::engine_io;
use crate::onboarding::Onboarding;
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
    fn skipped(account: AccountId, why: &str) -> LimitReview {
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

impl Onboarding {
    /// Reviews the limit of each account: re-reads its behaviour, asks the review table, and
    /// applies a raise or a cut with `ChangeLimit` (never below the exposure). `now` is when the
    /// review ran (recorded on the line).
    pub async fn review_limits(&self, engine: &Engine, accounts: &[AccountId], now: Timestamp) -> Vec<LimitReview> {
        let mut done = Vec::with_capacity(accounts.len());
        for &account in accounts {
            done.push(self.review_one(engine, account, now).await);
        }
        done
    }

    /// Every approved line of the store, for a full review run.
    pub fn line_accounts(&self) -> Vec<AccountId> {
        self.store().lines().into_iter().map(|l| l.account).collect()
    }

    async fn review_one(&self, engine: &Engine, account: AccountId, now: Timestamp) -> LimitReview {
        let state = match engine_io::account(engine, account).await {
            Ok(Some(state)) => state,
            Ok(None) => return LimitReview::skipped(account, "ACCOUNT_NOT_FOUND"),
            Err(e) => return LimitReview::skipped(account, engine_io::submit_code(e)),
        };
        let behaviour = Behaviour::of(&state);
        let Ok(verdict) = self.review_table().decide(&behaviour) else {
            return LimitReview::skipped(account, "LIMIT_TABLE_ERROR");
        };
        let exposure = state.exposure();
        let (mut action, mut after) = floored(&verdict, state.limit, exposure);
        if action != ReviewAction::Keep {
            match engine_io::credit(engine, Command::ChangeLimit { account, limit: after }).await {
                Ok(Ok(_)) => self.note_limit(account, after, now),
                Ok(Err(EngineRejection::Credit(Rejection::LimitBelowExposure { .. }))) => {
                    (action, after) = (ReviewAction::Keep, state.limit);
                }
                Ok(Err(rejection)) => return LimitReview::skipped(account, rejection.code()),
                Err(e) => return LimitReview::skipped(account, engine_io::submit_code(e)),
            }
        }
        LimitReview {
            account,
            action,
            before: state.limit,
            after,
            exposure,
            reason: verdict.reason,
            skipped: None,
        }
    }

    /// Keeps the side table's limit in step (best effort: the engine holds the truth).
    fn note_limit(&self, account: AccountId, limit: Amount, _now: Timestamp) {
        if let Some(mut line) = self.store().line(account) {
            line.limit = limit;
            let _ = self.store().put_line(line);
        }
    }

    /// Grants a temporary limit of `amount` on top of the permanent one for `days` days from
    /// `now`'s business day (usable until the end of the last one), if the policy allows it.
    pub async fn grant_temporary_limit(
        &self,
        engine: &Engine,
        account: AccountId,
        amount: Amount,
        days: u16,
        now: Timestamp,
    ) -> Result<TemporaryGrant, TemporaryRefusal> {
        let policy = TemporaryPolicy::default();
        if !(1..=policy.days_max).contains(&days) {
            return Err(TemporaryRefusal::Days);
        }
        let state = engine_io::account(engine, account)
            .await
            .map_err(TemporaryRefusal::TryLater)?
            .ok_or(TemporaryRefusal::AccountNotFound)?;
        policy.check(&state, amount)?;
        let today = Day::from_date(now.to_zoned(engine.config().zone.clone()).date());
        let expires_on = today.add(i32::from(days) - 1);
        let command = Command::SetTemporaryLimit {
            account,
            amount,
            expires_on,
        };
        match engine_io::credit(engine, command).await {
            Ok(Ok(_)) => Ok(TemporaryGrant { amount, expires_on }),
            Ok(Err(rejection)) => Err(TemporaryRefusal::Engine(rejection)),
            Err(e) => Err(TemporaryRefusal::TryLater(e)),
        }
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
            TemporaryRefusal::TryLater(error) => engine_io::submit_code(*error),
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
