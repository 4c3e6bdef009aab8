//! Payments held for review and the analysts who work their queue (`payment_review`).
//!
//! A payment authorization risk decides `review` is authorized but held by the engine (a
//! `payment_review` case; no capture goes through until an analyst releases it). The
//! merchant waits. The payment-review desk works the queue in three shifts a day (10:00, 13:00
//! and 16:00), oldest first, through the same engine operation the API's resolve route uses
//! (`Request::ResolveCase`: `confirm: false` releases the payment, `true` declines it and the
//! engine voids its hold), at most [`capacity`] decisions a day, only on cases at least half an
//! hour old. The analyst releases a genuine customer's payment (declining one in thirty by
//! mistake) and declines four fraudulent payments in five, putting the device and address of a
//! fraudulent one on the known-fraud lists (monitoring then re-scores their other open orders:
//! interceptions). A released order goes on to the
//! delivery checkpoint or capture; a declined one is stopped before money left.
//!
//! The same desk works the interception queue, oldest first, once a case is a day old (see
//! `interception_shift`).
//!
//! What the desk does not reach within the review timeout (24 hours) the engine declines at a
//! daily advance: after each advance the desk compares its waiting list with the open cases.
//! Payments held after the last shift of the run's last day are still open at the end: the
//! queue an operator finds. A held fraudulent payment is neither lost nor stopped until it is
//! decided (released and captured: lost; declined or timed out: intercepted).

use std::collections::{BTreeMap, BTreeSet};

use credit::TxnId;
use engine::{Outcome, Request};

use super::orders::{FraudEnd, OrderState, Party};
use super::{Intent, Simulation};
use crate::driver::Call;
use crate::link::SimError;

/// The shifts, in seconds into the day.
const SHIFTS: [i64; 3] = [10 * 3600, 13 * 3600, 16 * 3600];
/// A case is looked at once it is this old (the analyst's pick-up time).
const MIN_AGE_MS: i64 = 30 * 60 * 1000;

/// How many held payments the desk decides a day: a team sized to the portfolio.
pub(crate) fn capacity(users: u32) -> u32 {
    20 + users / 200
}

/// An interception is looked at the working day after it opened.
const INTERCEPTION_AGE_MS: i64 = 20 * 3600 * 1000;

/// The desk's own bookkeeping: which order each held transaction is, the orders the delivery
/// checkpoint intercepted, and today's decisions.
#[derive(Debug, Default)]
pub(crate) struct Desk {
    waiting: BTreeMap<TxnId, usize>,
    pub(super) intercepted: BTreeMap<TxnId, usize>,
    decided_today: u32,
}

impl Simulation<'_, '_> {
    /// The order's payment is held for review: the merchant waits for the desk.
    pub(super) fn hold_for_review(&mut self, order: usize) {
        if let Some(txn) = self.orders[order].txn {
            self.desk.waiting.insert(txn, order);
            self.fig.queues.payments_held += 1;
        }
    }

    /// Today's shifts of the payment-review desk.
    pub(super) fn plan_review_shifts(&mut self, day: u32) {
        self.desk.decided_today = 0;
        for second in SHIFTS {
            self.at(day, second, Intent::ReviewShift);
        }
    }

    /// One shift: the oldest open held payments, then interceptions at least a day old, up to
    /// the day's capacity.
    pub(super) fn review_shift(&mut self) -> Result<(), SimError> {
        self.held_shift()?;
        self.interception_shift()
    }

    fn held_shift(&mut self) -> Result<(), SimError> {
        if self.desk.waiting.is_empty() {
            return Ok(());
        }
        let per_day = capacity(self.config.users);
        let now = self.clock_ms;
        for held in self.link.open_cases(engine::CaseKind::PaymentReview)? {
            if self.desk.decided_today >= per_day {
                break;
            }
            let Some(&order) = self.desk.waiting.get(&held.txn) else {
                continue;
            };
            if self.orders[order].authorized_ms > now - MIN_AGE_MS {
                continue;
            }
            self.desk.decided_today += 1;
            self.decide_held(order, held)?;
        }
        Ok(())
    }

    /// Interceptions: the fraud team confirms a fraudulent order's (it stays stopped) and
    /// rejects a genuine customer's (their order was stopped by mistake: the case closes; an
    /// order still held may ship). An interception the workload did not see happen (monitoring
    /// re-scored an open order) is rejected: confirming one that holds a captured order would
    /// refund it in a follow-up no answer shows the auditor.
    fn interception_shift(&mut self) -> Result<(), SimError> {
        let per_day = capacity(self.config.users);
        let now = self.clock_ms;
        for case in self.link.open_cases(engine::CaseKind::Interception)? {
            if self.desk.decided_today >= per_day || case.opened_at.as_millisecond() > now - INTERCEPTION_AGE_MS {
                break;
            }
            self.desk.decided_today += 1;
            let order = self.desk.intercepted.remove(&case.txn);
            let fraud = order.is_some_and(|o| matches!(self.orders[o].party, Party::Fraud { .. }));
            self.touched.insert(case.account);
            let answer = self.link.call(Call::plain(Request::ResolveCase {
                case: case.case,
                confirm: fraud,
            }))?;
            if !matches!(answer.outcome, Outcome::Applied { .. }) {
                continue;
            }
            if let Some(order) = order.filter(|&o| self.orders[o].state == OrderState::Authorized) {
                if !fraud {
                    let wait = self.rng.between(60, 900) as i64;
                    self.after(wait, Intent::Capture { order });
                } else {
                    self.stop_held(order, case.account, case.txn)?;
                }
            }
        }
        Ok(())
    }

    /// The analyst's decision on one held payment (see the module comment).
    fn decide_held(&mut self, order: usize, held: crate::driver::HeldPayment) -> Result<(), SimError> {
        self.desk.waiting.remove(&held.txn);
        let live = self.orders[order].state == OrderState::Authorized;
        let decline = match self.orders[order].party {
            _ if !live => true,
            Party::Genuine => self.rng.chance(33),
            Party::Fraud { .. } => self.rng.chance(800),
        };
        self.touched.insert(held.account);
        let answer = self.link.call(Call::plain(Request::ResolveCase {
            case: held.case,
            confirm: decline,
        }))?;
        if !matches!(answer.outcome, Outcome::Applied { .. }) {
            // Closed meanwhile (the timeout at an advance): the next reconciliation counts it.
            self.desk.waiting.insert(held.txn, order);
            return Ok(());
        }
        if decline {
            self.fig.queues.held_declined += 1;
            if live {
                self.stop_held(order, held.account, held.txn)?;
            }
            if matches!(self.orders[order].party, Party::Fraud { .. }) {
                // The analyst saw fraud: its device and address go on the known-fraud lists, and
                // monitoring re-scores the open orders they placed (interceptions).
                let (device, ip) = (self.orders[order].context.device, self.orders[order].context.ip);
                self.link.list_fraud(&[device], &[ip])?;
            }
            return Ok(());
        }
        self.fig.queues.held_released += 1;
        self.orders[order].reviewed = false;
        let category = self.pop.merchants[self.orders[order].merchant].category;
        if category.ships() && !self.orders[order].at_once {
            let wait = (self.rng.between(1, 6) * 3600) as i64;
            self.after(wait, Intent::Deliver { order });
        } else {
            let wait = self.rng.between(60, 900) as i64;
            self.after(wait, Intent::Capture { order });
        }
        Ok(())
    }

    /// The engine voided a held payment's hold (declined, or timed out): money never left.
    fn stop_held(&mut self, order: usize, account: credit::AccountId, txn: TxnId) -> Result<(), SimError> {
        self.link.hold_stopped(account, txn)?;
        let o = &mut self.orders[order];
        o.state = OrderState::Voided;
        o.intercepted = true;
        let amount = o.amount;
        self.fig.payments.voided += 1;
        self.fraud_end(order, FraudEnd::Intercepted, amount);
        Ok(())
    }

    /// After a daily advance: the held payments the desk did not reach within the review
    /// timeout were declined by the engine (their cases are no longer open).
    pub(super) fn reconcile_reviews(&mut self) -> Result<(), SimError> {
        if self.desk.waiting.is_empty() {
            return Ok(());
        }
        let open: BTreeSet<TxnId> = self
            .link
            .open_cases(engine::CaseKind::PaymentReview)?
            .iter()
            .map(|h| h.txn)
            .collect();
        let gone: Vec<(TxnId, usize)> = self
            .desk
            .waiting
            .iter()
            .filter(|(txn, _)| !open.contains(txn))
            .map(|(txn, order)| (*txn, *order))
            .collect();
        for (txn, order) in gone {
            self.desk.waiting.remove(&txn);
            self.fig.queues.held_expired += 1;
            if self.orders[order].state == OrderState::Authorized {
                let account = self.lines[self.orders[order].line].account;
                self.stop_held(order, account, txn)?;
            }
        }
        Ok(())
    }

    /// What the payment-review queue holds at the end, as the system lists it.
    pub(super) fn count_open_held(&mut self) -> Result<(), SimError> {
        self.fig.queues.open_payment_reviews = self.link.open_cases(engine::CaseKind::PaymentReview)?.len() as u64;
        Ok(())
    }
}
