//! [`Auditor`]: the simulator's own model of what every account owes, checked against every
//! answer the system gives and against the accounts and ledger at day ends.
//!
//! The model is built from what the simulator asked for and the amounts the answers state:
//! principal = captures - refunded principal - principal repaid (by the allocations the
//! answers report) - principal paid from credit balance; holds from authorizations, captures,
//! voids and expiries; each purchase plan's schedule computed independently with
//! `money::schedule` from the choice the simulator made. It checks that an approval never
//! exceeds what it computes as available, that every allocation sums to its payment, that the
//! system's accounts agree with the model and hold the core's invariants, that every
//! statement the system closes adds up on its face (counted in `statements_checked`), and
//! that the ledger's cash and merchant payables equal its own tallies of money in and out.
//!
//! A theft report voids the open holds of the transactions it names (the engine's follow-up,
//! not in the report's answer): the model releases them. So does a payment held for review that an
//! analyst declines or that times out (the engine voids its hold in a follow-up): the workload
//! tells the model ([`Auditor::hold_stopped`]); the day's audit checks the account agrees. A fraud exemption (a theft case
//! confirmed) restates an account from its history; the model then re-bases on the restated
//! account (the restatement itself is checked by the core's replay and invariants).
//!
//! Lines opened through the application route (the applicant stream, whose applicants never
//! buy) are not the workload's: the run names them [`Auditor::outside`] and the model ignores
//! their events (statements of nothing, from the daily advance).

use std::collections::{BTreeMap, BTreeSet};

use credit::ledger::{EntryKind, LedgerAccount};
use credit::{Account, AccountId, Command, Event, PlanChoice, PlanSource, Product, TxnId};
use engine::{EngineRejection, Op, Outcome, Payer, Request};
use money::Amount;
use money::schedule::{Period, Schedule, Terms};

use crate::driver::{Answer, Call};

/// A disagreement between the system and the auditor: the run stops on it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("step {step}: {what}")]
pub struct Mismatch {
    pub step: u64,
    pub what: String,
}

#[derive(Clone, Debug, Default)]
struct Model {
    limit: Amount,
    principal: Amount,
    held: Amount,
    /// Open holds: amount and the plan chosen.
    holds: BTreeMap<TxnId, (Amount, Option<PlanChoice>)>,
    /// Expected schedules of purchase plans.
    plans: BTreeMap<TxnId, Vec<Period>>,
    /// Purchases refunded at least once (their plans were amended).
    refunded: BTreeSet<TxnId>,
    charged_off: bool,
    /// A temporary limit was set: available depends on it, so approvals are not checked.
    temporary: bool,
    /// Restated by a fraud exemption and not yet re-based.
    restated: bool,
    /// The latest statement checked on its face.
    faced_seq: u32,
}

impl Model {
    fn available(&self) -> Amount {
        if self.charged_off {
            return Amount::ZERO;
        }
        (self.limit - self.principal - self.held).max(Amount::ZERO)
    }

    fn checked(&self) -> bool {
        !self.charged_off && !self.restated && !self.temporary
    }
}

#[derive(Debug)]
pub struct Auditor {
    product: Product,
    models: BTreeMap<AccountId, Model>,
    pub cash_in: Amount,
    pub cash_out: Amount,
    pub captured: Amount,
    pub refunded: Amount,
    /// Individual checks made.
    pub checks: u64,
    /// Statements checked to add up on their face (each once, when first seen).
    pub statements_checked: u64,
    /// Lines outside the workload (see the module comment).
    outside: BTreeSet<AccountId>,
}

fn ensure(step: u64, ok: bool, what: impl FnOnce() -> String) -> Result<(), Mismatch> {
    if ok {
        Ok(())
    } else {
        Err(Mismatch { step, what: what() })
    }
}

impl Auditor {
    pub fn new(product: Product) -> Auditor {
        Auditor {
            product,
            models: BTreeMap::new(),
            cash_in: Amount::ZERO,
            cash_out: Amount::ZERO,
            captured: Amount::ZERO,
            refunded: Amount::ZERO,
            checks: 0,
            statements_checked: 0,
            outside: BTreeSet::new(),
        }
    }

    /// A line the workload did not open and does not use: its events are not modelled.
    pub fn outside(&mut self, account: AccountId) {
        self.outside.insert(account);
    }

    /// Accounts restated since the last re-base: the run reads them and calls [`Auditor::rebase`].
    pub fn restated(&self) -> Vec<AccountId> {
        self.models
            .iter()
            .filter(|(_, m)| m.restated)
            .map(|(a, _)| *a)
            .collect()
    }

    /// Checks one answer and updates the model with it.
    pub fn observe(&mut self, step: u64, call: &Call, answer: &Answer) -> Result<(), Mismatch> {
        self.checks += 1;
        match &answer.outcome {
            Outcome::Applied { op, events } => {
                let plan = match op.credit_command() {
                    Some(Command::Authorize { plan, .. }) => *plan,
                    _ => None,
                };
                self.check_payment(step, op, events)?;
                for event in events {
                    self.event(step, event, plan)?;
                }
                self.theft_report(step, op)
            }
            Outcome::Rejected { rejection } => self.check_rejection(step, call, *rejection),
            Outcome::Conflict => Err(Mismatch {
                step,
                what: "an idempotency conflict, but the simulator sends no keys".into(),
            }),
        }
    }

    /// A theft report voids the open holds of the reported transactions, in follow-up ops of
    /// the engine's own that the report's answer does not carry: the model releases them.
    fn theft_report(&mut self, step: u64, op: &Op) -> Result<(), Mismatch> {
        let Op::OpenCase {
            account,
            kind: engine::CaseKind::Theft,
            txns,
            ..
        } = op
        else {
            return Ok(());
        };
        let m = self.model(step, *account)?;
        for txn in txns {
            if let Some((amount, _)) = m.holds.remove(txn) {
                m.held -= amount;
            }
        }
        Ok(())
    }

    /// A held payment declined (by an analyst, or by the review timeout at the daily advance):
    /// the engine voids its hold in a follow-up op no answer carries, so the model releases it.
    pub fn hold_stopped(&mut self, step: u64, account: AccountId, txn: TxnId) -> Result<(), Mismatch> {
        if self.outside.contains(&account) {
            return Ok(());
        }
        let m = self.model(step, account)?;
        if let Some((amount, _)) = m.holds.remove(&txn) {
            m.held -= amount;
        }
        Ok(())
    }

    /// Events of the daily advance.
    pub fn observe_events(&mut self, step: u64, events: &[Event]) -> Result<(), Mismatch> {
        for event in events {
            self.event(step, event, None)?;
        }
        Ok(())
    }

    /// A payment's allocation sums to the payment, and the answer has the event it should.
    fn check_payment(&mut self, step: u64, op: &Op, events: &[Event]) -> Result<(), Mismatch> {
        let paid = match op.credit_command() {
            Some(Command::Repay { amount, .. } | Command::EarlyPayoff { amount, .. }) => *amount,
            _ => return Ok(()),
        };
        let allocated = events.iter().find_map(|e| match e {
            Event::Repaid { allocation, .. } | Event::PlanPaidOff { allocation, .. } => Some(allocation.total()),
            _ => None,
        });
        ensure(step, allocated == Some(paid), || {
            format!("a payment of {paid} was allocated {allocated:?}")
        })
    }

    fn check_rejection(&mut self, step: u64, call: &Call, rejection: EngineRejection) -> Result<(), Mismatch> {
        let Request::Authorize {
            payer: Payer::Account(account),
            amount,
            ..
        } = &call.request
        else {
            return Ok(());
        };
        let Some(model) = self.models.get(account).filter(|m| m.checked()) else {
            return Ok(());
        };
        let computed = model.available();
        match rejection {
            EngineRejection::Credit(credit::Rejection::InsufficientAvailableCredit { available }) => {
                ensure(step, available == computed && *amount > computed, || {
                    format!(
                        "{account}: declined {amount} for insufficient credit ({available} available), \
                         but the auditor computes {computed} available"
                    )
                })
            }
            _ => Ok(()),
        }
    }

    fn model(&mut self, step: u64, account: AccountId) -> Result<&mut Model, Mismatch> {
        self.models.get_mut(&account).ok_or_else(|| Mismatch {
            step,
            what: format!("an event for account {account}, which the auditor never saw opened"),
        })
    }

    fn event(&mut self, step: u64, event: &Event, plan: Option<PlanChoice>) -> Result<(), Mismatch> {
        let account = event.account();
        if self.outside.contains(&account) && !self.models.contains_key(&account) {
            return Ok(());
        }
        if let Event::AccountOpened { limit, .. } = event {
            self.models.insert(
                account,
                Model {
                    limit: *limit,
                    ..Model::default()
                },
            );
            return Ok(());
        }
        let product = self.product.clone();
        let m = self.model(step, account)?;
        match event {
            Event::LimitChanged { limit, .. } => m.limit = *limit,
            Event::TemporaryLimitSet { .. } => m.temporary = true,
            Event::Authorized {
                txn, amount, available, ..
            } => {
                let before = m.available();
                if m.checked() {
                    ensure(step, *amount <= before && *available == before - *amount, || {
                        format!(
                            "{account}: authorized {amount} leaving {available}, but the auditor computed \
                             {before} available before it"
                        )
                    })?;
                }
                m.held += *amount;
                m.holds.insert(*txn, (*amount, plan));
            }
            Event::Captured {
                txn,
                amount,
                released,
                plan: plan_id,
                ..
            } => {
                let (held, choice) = m.holds.remove(txn).ok_or_else(|| Mismatch {
                    step,
                    what: format!("{account}: captured {txn}, which the auditor holds no record of"),
                })?;
                ensure(step, held == *amount + *released, || {
                    format!("{account}: captured {amount} and released {released} of a {held} hold")
                })?;
                ensure(step, plan_id.is_some() == choice.is_some(), || {
                    format!("{account}: capture of {txn} made plan {plan_id:?} for choice {choice:?}")
                })?;
                m.held -= held;
                m.principal += *amount;
                if let Some(choice) = choice {
                    m.plans.insert(*txn, expected_schedule(&choice, *amount, &product));
                }
                self.captured += *amount;
            }
            Event::Voided { txn, released, .. } | Event::HoldExpired { txn, released, .. } => {
                let (held, _) = m.holds.remove(txn).unwrap_or((*released, None));
                ensure(step, held == *released, || {
                    format!("{account}: released {released} of a {held} hold on {txn}")
                })?;
                m.held -= held;
            }
            Event::Refunded { txn, amount, split, .. } => {
                let principal = split.unbilled + split.billed;
                ensure(step, principal <= *amount && !principal.is_negative(), || {
                    format!("{account}: a refund of {amount} took {principal} of principal")
                })?;
                m.principal -= principal;
                m.refunded.insert(*txn);
                self.refunded += *amount;
            }
            Event::Repaid { allocation, amount, .. } | Event::PlanPaidOff { allocation, amount, .. } => {
                m.principal -= allocation.principal + allocation.unbilled_principal;
                self.cash_in += *amount;
            }
            Event::CreditCashedOut { amount, .. } => self.cash_out += *amount,
            Event::ChargedOff { .. } => m.charged_off = true,
            Event::FraudExempted { .. } => m.restated = true,
            Event::Posted { entry, .. } if entry.kind == EntryKind::CreditApplied => {
                for posting in &entry.postings {
                    if posting.account == LedgerAccount::PrincipalReceivable {
                        m.principal += posting.amount;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Re-bases the model of a restated account on the account as the system restated it.
    pub fn rebase(&mut self, account: &Account) {
        let m = self.models.entry(account.id).or_default();
        m.principal = account.principal_owed();
        m.held = account.held;
        m.limit = account.limit;
        m.holds = account
            .holds
            .iter()
            .filter(|h| h.is_open())
            .map(|h| (h.txn, (h.amount, h.plan)))
            .collect();
        m.charged_off = account.is_charged_off();
        m.restated = false;
    }

    /// Checks an account the system returned against its invariants and the model.
    pub fn check_account(&mut self, step: u64, account: &Account) -> Result<(), Mismatch> {
        self.checks += 1;
        credit::invariants::check_account(account).map_err(|v| Mismatch {
            step,
            what: format!("invariant broken: {v}"),
        })?;
        let Some(m) = self.models.get(&account.id) else {
            return Err(Mismatch {
                step,
                what: format!("account {} exists but was never opened by the simulator", account.id),
            });
        };
        let id = account.id;
        ensure(step, account.limit == m.limit, || {
            format!("{id}: limit {} but the auditor has {}", account.limit, m.limit)
        })?;
        let faced_seq = m.faced_seq;
        self.check_statements(step, account, faced_seq)?;
        let Some(m) = self.models.get(&account.id) else {
            unreachable!("looked up above")
        };
        if !m.checked() {
            return Ok(());
        }
        let owed = account.principal_owed();
        ensure(step, owed == m.principal, || {
            format!(
                "{id}: the system says {owed} of principal is owed, the auditor computes {}",
                m.principal
            )
        })?;
        ensure(step, account.held == m.held, || {
            format!("{id}: {} held, the auditor computes {}", account.held, m.held)
        })?;
        for plan in &account.plans {
            let PlanSource::Purchase { txn } = plan.source else {
                continue;
            };
            if m.refunded.contains(&txn) {
                continue;
            }
            let Some(expected) = m.plans.get(&txn) else { continue };
            let shown = &plan.periods;
            ensure(
                step,
                expected.len() >= shown.len() && expected[..shown.len()] == shown[..],
                || format!("{id}: plan {txn} has periods {shown:?}, the schedule says {expected:?}"),
            )?;
        }
        Ok(())
    }

    /// Every statement closed since the last check adds up on its face (charged-off and
    /// restated accounts included): previous balance - payments - credits + charges = balance,
    /// and its lines sum to it.
    fn check_statements(&mut self, step: u64, account: &Account, after: u32) -> Result<(), Mismatch> {
        for statement in account.statements.iter().filter(|s| s.seq > after) {
            credit::invariants::check_face(account, statement).map_err(|v| Mismatch {
                step,
                what: format!("a statement that does not add up: {v}"),
            })?;
            self.statements_checked += 1;
        }
        if let Some(m) = self.models.get_mut(&account.id) {
            m.faced_seq = m.faced_seq.max(account.last_seq);
        }
        Ok(())
    }

    /// The whole book: every account checked, and the ledger's cash and merchant payables
    /// against the auditor's tallies.
    pub fn check_book(&mut self, step: u64, accounts: &[Box<Account>]) -> Result<(), Mismatch> {
        let mut totals = credit::ledger::Balances::default();
        for account in accounts {
            self.check_account(step, account)?;
            totals.add(&account.ledger);
        }
        ensure(step, accounts.len() == self.models.len(), || {
            format!(
                "{} accounts in the system, {} opened by the simulator",
                accounts.len(),
                self.models.len()
            )
        })?;
        ensure(step, totals.total().is_zero(), || {
            format!("the ledger does not balance: {totals:?}")
        })?;
        let cash = totals.get(LedgerAccount::Cash);
        ensure(step, cash == self.cash_in - self.cash_out, || {
            format!(
                "cash {cash}, but {} came in and {} went out",
                self.cash_in, self.cash_out
            )
        })?;
        let payable = -totals.get(LedgerAccount::MerchantPayable);
        ensure(step, payable == self.captured - self.refunded, || {
            format!(
                "merchants are owed {payable}, but {} was captured and {} refunded",
                self.captured, self.refunded
            )
        })
    }

    /// Every account the auditor knows, in id order.
    pub fn accounts(&self) -> Vec<AccountId> {
        self.models.keys().copied().collect()
    }
}

/// The schedule a plan choice makes for `principal`, built here from the product's rates.
fn expected_schedule(choice: &PlanChoice, principal: Amount, product: &Product) -> Vec<Period> {
    let Some(rate) = choice
        .rate
        .or_else(|| product.default_rate(choice.periods, choice.method))
    else {
        return Vec::new();
    };
    let terms = Terms {
        method: choice.method,
        principal,
        periods: choice.periods,
        rate,
    };
    Schedule::build(terms).map(|s| s.periods).unwrap_or_default()
}

impl Auditor {
    /// Principal owed over every account, by the model (the daily receivables curve).
    pub fn principal_total(&self) -> Amount {
        self.models.values().map(|m| m.principal.max(Amount::ZERO)).sum()
    }
}
