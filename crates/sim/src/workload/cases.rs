//! Theft reports and the fraud team's case work. A customer reports transactions they did not
//! make from the app (the theft-report request): a case opens, the line is frozen, and the
//! holds of the reported orders that have not shipped are voided. An analyst works the case a
//! few working days later (the evidence, then the decision): a takeover's victim is confirmed,
//! which exempts the stolen orders (the case confirmation is the exemption) and puts the
//! attacker's device and address on the fraud lists; a shopper who reported a purchase they
//! had forgotten (a mistaken report) is rejected. Either way the customer re-verifies in the
//! app (liveness) the next day to lift the freeze. Reports of the run's last days are still
//! open when it ends: the queue an operator finds.

use credit::TxnId;
use engine::{CaseId, Op, Outcome, Request};

use super::orders::{FraudEnd, OrderState, Party};
use super::{Intent, Owner, Simulation};
use crate::driver::Call;
use crate::link::SimError;

/// Mistaken theft reports per 10,000 approved shoppers per 30 days: the accumulator threshold.
const PER_10K_MONTH: u64 = 300_000;

/// A theft report whose case is open.
#[derive(Clone, Debug)]
pub(crate) struct Report {
    pub line: usize,
    pub case: CaseId,
    /// The takeover reported (ground truth); `None` for a mistaken report.
    pub attack: Option<usize>,
}

impl Simulation<'_, '_> {
    /// Today's mistaken reports: shoppers who do not recognize one of their own purchases.
    pub(super) fn plan_mistaken_reports(&mut self, day: u32) {
        let approved = self
            .lines
            .iter()
            .filter(|l| l.open && matches!(l.owner, Owner::Shopper(_)))
            .count() as u64;
        self.report_accumulator += u64::from(self.config.mistaken_theft_reports) * approved;
        while self.report_accumulator >= PER_10K_MONTH {
            self.report_accumulator -= PER_10K_MONTH;
            let candidates: Vec<usize> = (0..self.lines.len())
                .filter(|&i| {
                    let l = &self.lines[i];
                    l.open && !l.frozen && matches!(l.owner, Owner::Shopper(_))
                })
                .collect();
            if candidates.is_empty() {
                return;
            }
            let line = candidates[self.rng.index(candidates.len())];
            let second = self.waking_second((10, 21));
            self.at(day, second, Intent::ReportTheft { line, attack: None });
        }
    }

    /// The orders a report names: a takeover's orders that reached the account (held or
    /// captured), or the shopper's latest captured purchase they do not recognize.
    fn reported_orders(&self, line: usize, attack: Option<usize>) -> Vec<usize> {
        match attack {
            Some(attack) => self.attacks[attack]
                .orders
                .iter()
                .copied()
                .filter(|&o| matches!(self.orders[o].state, OrderState::Authorized | OrderState::Captured))
                .filter(|&o| self.orders[o].txn.is_some())
                .collect(),
            None => (0..self.orders.len())
                .rev()
                .find(|&o| {
                    let order = &self.orders[o];
                    order.line == line
                        && order.party == Party::Genuine
                        && order.state == OrderState::Captured
                        && order.txn.is_some()
                })
                .into_iter()
                .collect(),
        }
    }

    /// The customer's theft report (see the module comment).
    pub(super) fn report_theft(&mut self, line: usize, attack: Option<usize>) -> Result<(), SimError> {
        let account = self.lines[line].account;
        let orders = self.reported_orders(line, attack);
        if orders.is_empty() {
            return Ok(());
        }
        self.touched.insert(account);
        let txns: Vec<TxnId> = orders.iter().filter_map(|&o| self.orders[o].txn).collect();
        // The holds still open (not expired) are the ones the report voids.
        let open: Vec<TxnId> = match self.link.accounts(&[account])?.pop().flatten() {
            Some(a) => txns
                .iter()
                .copied()
                .filter(|t| a.hold(*t).is_some_and(|h| h.is_open()))
                .collect(),
            None => Vec::new(),
        };
        let answer = self.link.call(Call::plain(Request::ReportTheft { account, txns }))?;
        let Outcome::Applied {
            op: Op::OpenCase { case, .. },
            ..
        } = answer.outcome
        else {
            return Ok(());
        };
        self.fig.queues.theft_reported += 1;
        self.lines[line].frozen = true;
        for &order in &orders {
            if self.orders[order].txn.is_some_and(|t| open.contains(&t)) {
                // The engine voided its hold with the report: money never left.
                self.orders[order].state = OrderState::Voided;
                self.fig.payments.voided += 1;
                let amount = self.orders[order].amount;
                self.fraud_end(order, FraudEnd::Intercepted, amount);
            }
        }
        self.reports.push(Report { line, case, attack });
        let report = self.reports.len() - 1;
        // An analyst of the fraud team takes the case within a few working days.
        let days = self.rng.between(2, 5) as u32;
        let second = self.waking_second((9, 18));
        self.at(self.day + days, second, Intent::ResolveCase { report });
        Ok(())
    }

    /// The analyst's decision (see the module comment): confirmed for a takeover, rejected for
    /// a mistaken report.
    pub(super) fn resolve_case(&mut self, report: usize) -> Result<(), SimError> {
        let Report { line, case, attack } = self.reports[report].clone();
        self.touched.insert(self.lines[line].account);
        let confirm = attack.is_some();
        let answer = self.link.call(Call::plain(Request::ResolveCase { case, confirm }))?;
        let Outcome::Applied { events, .. } = &answer.outcome else {
            // Refused (the exemption failed): the case stays open in the queue.
            self.fig.queues.theft_refused += 1;
            return Ok(());
        };
        self.on_events(events);
        if let Some(attack) = attack {
            self.fig.queues.theft_confirmed += 1;
            let exempted: i64 = self.attacks[attack]
                .orders
                .iter()
                .map(|&o| &self.orders[o])
                .filter(|o| o.state == OrderState::Captured && o.txn.is_some())
                .map(|o| (o.captured - o.refunded).fen())
                .sum();
            self.attack_figures(attack).exempted_fen += exempted;
            let (device, ip) = (self.attacks[attack].device, self.attacks[attack].ip);
            self.link.list_fraud(&[device], &[ip])?;
        } else {
            self.fig.queues.theft_rejected += 1;
        }
        self.after(86_400, Intent::Unfreeze { line });
        Ok(())
    }
}
