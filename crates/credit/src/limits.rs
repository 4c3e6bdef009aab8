//! Credit line settings: the permanent limit, temporary limits, freezes.

use money::Amount;

use crate::account::{Account, Ctx, TemporaryLimit};
use crate::calendar::Day;
use crate::command::FreezeReason;
use crate::event::Event;
use crate::reject::Rejection;

impl Account {
    /// What the account is exposed to: principal owed plus open holds. A limit may not go below
    /// it, so lowering a limit never breaks an existing hold.
    pub fn exposure(&self) -> Amount {
        self.principal_owed() + self.held
    }

    pub(crate) fn change_limit(&mut self, limit: Amount, cx: &mut Ctx<'_>) -> Result<(), Rejection> {
        if self.is_charged_off() {
            return Err(Rejection::AccountChargedOff);
        }
        let exposure = self.exposure();
        if limit < self.limit && limit < exposure {
            return Err(Rejection::LimitBelowExposure { exposure });
        }
        self.limit = limit;
        cx.out.push(Event::LimitChanged {
            account: self.id,
            limit,
        });
        Ok(())
    }

    pub(crate) fn set_temporary_limit(
        &mut self,
        amount: Amount,
        expires_on: Day,
        cx: &mut Ctx<'_>,
    ) -> Result<(), Rejection> {
        if self.is_charged_off() {
            return Err(Rejection::AccountChargedOff);
        }
        self.temporary_limit = Some(TemporaryLimit { amount, expires_on });
        cx.out.push(Event::TemporaryLimitSet {
            account: self.id,
            amount,
            expires_on,
        });
        Ok(())
    }

    pub(crate) fn freeze(&mut self, reason: FreezeReason, cx: &mut Ctx<'_>) -> Result<(), Rejection> {
        self.frozen = Some(reason);
        cx.out.push(Event::Frozen {
            account: self.id,
            reason,
        });
        Ok(())
    }

    pub(crate) fn unfreeze(&mut self, cx: &mut Ctx<'_>) -> Result<(), Rejection> {
        if self.frozen.is_none() {
            return Err(Rejection::AccountNotFrozen);
        }
        self.frozen = None;
        cx.out.push(Event::Unfrozen { account: self.id });
        Ok(())
    }
}
