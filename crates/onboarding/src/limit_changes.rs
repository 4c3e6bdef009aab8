//! [`Onboarding::review_limits`] and [`Onboarding::grant_temporary_limit`]: the limit changes
//! onboarding sends the engine, by the review table and the temporary-limit policy of
//! [`crate::limits`].

use credit::{AccountId, Day, Rejection};
use engine::{Engine, EngineRejection};
use jiff::Timestamp;
use money::Amount;

use crate::behaviour::Behaviour;
use crate::engine_io;
use crate::limits::{LimitReview, ReviewAction, TemporaryGrant, TemporaryPolicy, TemporaryRefusal, floored};
use crate::onboarding::Onboarding;

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
            let change = engine::ask::ChangeLimit { account, limit: after };
            match engine_io::credit(engine, change).await {
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
        let command = engine::ask::SetTemporaryLimit {
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
