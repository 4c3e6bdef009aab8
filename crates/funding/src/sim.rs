//! The deterministic simulators: [`SimulatedPayments`] and [`SimulatedPayouts`] keep every
//! operation by funding id (so a repeated call answers the first one's state, as a real
//! provider's idempotency does) and decide by the amount's last four digits (fen), whatever the
//! card:
//!
//! | `amount_fen % 10_000` | debit | payout |
//! | --- | --- | --- |
//! | `9701` / `9801` | pending, and stays pending | pending, and stays pending |
//! | `9702` / `9802` | pending; settled when asked again | pending; paid when asked again |
//! | `9703` / `9803` | failed `insufficient_funds` at once | failed `account_closed` at once |
//! | `9704` / `9804` | pending; failed `insufficient_funds` when asked again | pending; failed `account_closed` when asked again |
//! | `9705` / `9805` | unavailable (nothing recorded: a status query answers unknown) | unavailable |
//! | anything else | settled at once | paid at once |
//!
//! [`SimulatedPayments::complete`] / [`SimulatedPayouts::complete`] move a pending operation
//! by hand (a test's provider deciding before it calls back). Provider references are
//! `sim-debit-<id>` and `sim-payout-<id>`.

use std::collections::HashMap;
use std::future::ready;
use std::sync::{Mutex, MutexGuard};

use identity::BoxFuture;
use money::Amount;

use crate::{
    DebitAnswer, DebitRequest, DebitStatus, FundingError, FundingId, PaymentProvider, PayoutAnswer, PayoutProvider,
    PayoutRequest, PayoutStatus,
};

pub const DEBIT_PENDING: i64 = 9701;
pub const DEBIT_SETTLES_WHEN_ASKED: i64 = 9702;
pub const DEBIT_FAILS: i64 = 9703;
pub const DEBIT_FAILS_WHEN_ASKED: i64 = 9704;
pub const DEBIT_OUTAGE: i64 = 9705;
pub const PAYOUT_PENDING: i64 = 9801;
pub const PAYOUT_PAID_WHEN_ASKED: i64 = 9802;
pub const PAYOUT_FAILS: i64 = 9803;
pub const PAYOUT_FAILS_WHEN_ASKED: i64 = 9804;
pub const PAYOUT_OUTAGE: i64 = 9805;

/// The fixture an amount selects.
fn fixture(amount: Amount) -> i64 {
    amount.fen().rem_euclid(10_000)
}

#[derive(Debug, Clone)]
struct Held<S> {
    status: S,
    /// What a status query turns a pending operation into.
    when_asked: Option<S>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn outage() -> FundingError {
    FundingError::Unavailable("simulated outage".into())
}

/// What the simulators hold of one kind of operation, by funding id: the first call decides,
/// a repeated call answers that decision, a status query moves a pending one on once.
#[derive(Debug)]
struct Book<S> {
    ops: Mutex<HashMap<FundingId, Held<S>>>,
}

impl<S> Default for Book<S> {
    fn default() -> Self {
        Book {
            ops: Mutex::new(HashMap::new()),
        }
    }
}

impl<S: Clone + PartialEq> Book<S> {
    /// The operation's status: the one recorded, else what `decide` says (`Err`: an outage,
    /// nothing recorded).
    fn start(
        &self,
        funding: FundingId,
        decide: impl FnOnce() -> Result<(S, Option<S>), FundingError>,
    ) -> Result<S, FundingError> {
        let mut ops = lock(&self.ops);
        if let Some(held) = ops.get(&funding) {
            return Ok(held.status.clone());
        }
        let (status, when_asked) = decide()?;
        let held = Held {
            status: status.clone(),
            when_asked,
        };
        ops.insert(funding, held);
        Ok(status)
    }

    /// A status query: a pending operation with a next status moves to it.
    fn ask(&self, funding: FundingId, pending: &S) -> Result<S, FundingError> {
        let mut ops = lock(&self.ops);
        let held = ops.get_mut(&funding).ok_or(FundingError::Unknown)?;
        if held.status == *pending
            && let Some(next) = held.when_asked.take()
        {
            held.status = next;
        }
        Ok(held.status.clone())
    }

    /// Moves an operation to `status` when `may(current)`; false if unknown or not allowed.
    fn complete(&self, funding: FundingId, status: S, may: impl FnOnce(&S) -> bool) -> bool {
        let mut ops = lock(&self.ops);
        match ops.get_mut(&funding) {
            Some(held) if may(&held.status) => {
                held.status = status;
                true
            }
            _ => false,
        }
    }
}

/// The simulated debit provider.
#[derive(Debug, Default)]
pub struct SimulatedPayments {
    ops: Book<DebitStatus>,
}

impl SimulatedPayments {
    pub fn new() -> Self {
        Self::default()
    }

    fn answer(funding: FundingId, status: DebitStatus) -> DebitAnswer {
        DebitAnswer {
            status,
            provider_ref: Some(format!("sim-debit-{funding}")),
        }
    }

    pub fn debit_now(&self, request: &DebitRequest) -> Result<DebitAnswer, FundingError> {
        let status = self.ops.start(request.funding, || {
            let failed = || DebitStatus::Failed("insufficient_funds".into());
            Ok(match fixture(request.amount) {
                DEBIT_PENDING => (DebitStatus::Pending, None),
                DEBIT_SETTLES_WHEN_ASKED => (DebitStatus::Pending, Some(DebitStatus::Settled)),
                DEBIT_FAILS => (failed(), None),
                DEBIT_FAILS_WHEN_ASKED => (DebitStatus::Pending, Some(failed())),
                DEBIT_OUTAGE => return Err(outage()),
                _ => (DebitStatus::Settled, None),
            })
        })?;
        Ok(Self::answer(request.funding, status))
    }

    pub fn status_now(&self, funding: FundingId) -> Result<DebitAnswer, FundingError> {
        let status = self.ops.ask(funding, &DebitStatus::Pending)?;
        Ok(Self::answer(funding, status))
    }

    /// Moves a pending debit to `status`; false if it is unknown or no longer pending.
    pub fn complete(&self, funding: FundingId, status: DebitStatus) -> bool {
        self.ops.complete(funding, status, |now| *now == DebitStatus::Pending)
    }
}

impl PaymentProvider for SimulatedPayments {
    fn debit<'a>(&'a self, request: &'a DebitRequest) -> BoxFuture<'a, Result<DebitAnswer, FundingError>> {
        Box::pin(ready(self.debit_now(request)))
    }

    fn debit_status(&self, funding: FundingId) -> BoxFuture<'_, Result<DebitAnswer, FundingError>> {
        Box::pin(ready(self.status_now(funding)))
    }
}

/// The simulated payout provider.
#[derive(Debug, Default)]
pub struct SimulatedPayouts {
    ops: Book<PayoutStatus>,
}

impl SimulatedPayouts {
    pub fn new() -> Self {
        Self::default()
    }

    fn answer(funding: FundingId, status: PayoutStatus) -> PayoutAnswer {
        PayoutAnswer {
            status,
            provider_ref: Some(format!("sim-payout-{funding}")),
        }
    }

    pub fn payout_now(&self, request: &PayoutRequest) -> Result<PayoutAnswer, FundingError> {
        let status = self.ops.start(request.funding, || {
            let failed = || PayoutStatus::Failed("account_closed".into());
            Ok(match fixture(request.amount) {
                PAYOUT_PENDING => (PayoutStatus::Pending, None),
                PAYOUT_PAID_WHEN_ASKED => (PayoutStatus::Pending, Some(PayoutStatus::Paid)),
                PAYOUT_FAILS => (failed(), None),
                PAYOUT_FAILS_WHEN_ASKED => (PayoutStatus::Pending, Some(failed())),
                PAYOUT_OUTAGE => return Err(outage()),
                _ => (PayoutStatus::Paid, None),
            })
        })?;
        Ok(Self::answer(request.funding, status))
    }

    pub fn status_now(&self, funding: FundingId) -> Result<PayoutAnswer, FundingError> {
        let status = self.ops.ask(funding, &PayoutStatus::Pending)?;
        Ok(Self::answer(funding, status))
    }

    /// Moves a pending payout (or a paid one, to `Returned`) to `status`; false otherwise.
    pub fn complete(&self, funding: FundingId, status: PayoutStatus) -> bool {
        let returning = matches!(status, PayoutStatus::Returned(_));
        self.ops.complete(funding, status, |now| {
            *now == PayoutStatus::Pending || (*now == PayoutStatus::Paid && returning)
        })
    }
}

impl PayoutProvider for SimulatedPayouts {
    fn payout<'a>(&'a self, request: &'a PayoutRequest) -> BoxFuture<'a, Result<PayoutAnswer, FundingError>> {
        Box::pin(ready(self.payout_now(request)))
    }

    fn payout_status(&self, funding: FundingId) -> BoxFuture<'_, Result<PayoutAnswer, FundingError>> {
        Box::pin(ready(self.status_now(funding)))
    }
}
