//! The rows each event writes besides its `events` row, grouped by the tables they touch.

use credit::ledger::Entry;
use credit::{AccountId, Allocation, Event, RefundSplit};

use super::{At, Payment, Sink, Stmt, Writer, day, int, vals};
use crate::StoreError;
use crate::names::entry_kind;

impl<S: Sink> Writer<S> {
    pub(super) fn event_rows(&mut self, at: At, event: &Event) -> Result<(), StoreError> {
        match event {
            Event::AccountOpened {
                account,
                limit,
                billing_day,
                first_statement,
            } => {
                let first = day(*first_statement);
                let params = vals![
                    int(account.0),
                    at.partition,
                    billing_day,
                    at.ms,
                    first,
                    limit.fen(),
                    at.seq
                ];
                self.sink.exec(Stmt::AccountOpened, &params)?;
                Ok(())
            }
            Event::Authorized { .. } | Event::Captured { .. } | Event::Voided { .. } | Event::HoldExpired { .. } => {
                self.hold_rows(at, event)
            }
            Event::Refunded { .. } | Event::Repaid { .. } | Event::PlanPaidOff { .. } => self.payment_rows(at, event),
            Event::BillInstalled { .. } | Event::StatementClosed { .. } | Event::BucketChanged { .. } => {
                self.cycle_rows(at, event)
            }
            Event::FraudExempted { account, txns, .. } => {
                for txn in txns {
                    self.sink
                        .exec(Stmt::PurchaseExempt, &vals![int(account.0), int(txn.0)])?;
                }
                Ok(())
            }
            Event::Posted { account, entry } => self.posted(at, *account, entry),
            // The accounts table shows these through the batch's balances; `events` has them.
            Event::LimitChanged { .. }
            | Event::TemporaryLimitSet { .. }
            | Event::Frozen { .. }
            | Event::Unfrozen { .. }
            | Event::CreditCashedOut { .. }
            | Event::ChargedOff { .. } => Ok(()),
            // Its schedule is read from the account (`GET .../plans`); its effect on balances
            // and buckets comes through the batch's balances and the payment's
            // `bucket_changed`.
            Event::HardshipPlanned {
                account,
                plan,
                principal,
                ..
            } => {
                let (no_txn, no_statement) = (None::<i64>, None::<i64>);
                let params = vals![
                    int(account.0),
                    int(plan.0),
                    "hardship",
                    no_txn,
                    no_statement,
                    principal.fen(),
                    at.ms,
                    at.partition,
                    at.seq
                ];
                self.sink.exec(Stmt::PlanCreated, &params)?;
                Ok(())
            }
        }
    }

    /// `holds`, and `purchases` and `plans` for a capture.
    fn hold_rows(&mut self, at: At, event: &Event) -> Result<(), StoreError> {
        match event {
            Event::Authorized {
                account,
                txn,
                merchant,
                amount,
                expires_on,
                available,
            } => {
                let (account, txn, merchant) = (int(account.0), int(txn.0), int(merchant.0));
                let (amount, available, expires) = (amount.fen(), available.fen(), day(*expires_on));
                let params = vals![
                    account,
                    txn,
                    merchant,
                    amount,
                    available,
                    expires,
                    at.ms,
                    at.partition,
                    at.seq
                ];
                self.sink.exec(Stmt::HoldAuthorized, &params)?;
            }
            Event::Captured {
                account,
                txn,
                amount,
                released,
                plan,
            } => self.captured(at, *account, txn.0, amount.fen(), released.fen(), plan.map(|p| p.0))?,
            Event::Voided { account, txn, released } => self.released(at, *account, txn.0, "voided", released.fen())?,
            Event::HoldExpired { account, txn, released } => {
                self.released(at, *account, txn.0, "expired", released.fen())?
            }
            _ => unreachable!("event_rows sends only hold events here"),
        }
        Ok(())
    }

    /// `refunds` and `repayments`, and the purchases and plans they settle.
    fn payment_rows(&mut self, at: At, event: &Event) -> Result<(), StoreError> {
        match event {
            Event::Refunded {
                account,
                txn,
                op,
                amount,
                split,
            } => self.refunded(at, *account, txn.0, op.0, amount.fen(), split),
            Event::Repaid {
                account,
                op,
                amount,
                allocation,
                recovery,
            } => {
                let payment = Payment {
                    kind: "repay",
                    op: op.0,
                    plan: None,
                    amount: amount.fen(),
                    fees_waived: 0,
                    recovery: *recovery,
                };
                self.repayment(at, *account, &payment, allocation)
            }
            Event::PlanPaidOff {
                account,
                op,
                plan,
                amount,
                allocation,
                fees_waived,
            } => {
                let payment = Payment {
                    kind: "early_payoff",
                    op: op.0,
                    plan: Some(plan.0),
                    amount: amount.fen(),
                    fees_waived: fees_waived.fen(),
                    recovery: false,
                };
                self.repayment(at, *account, &payment, allocation)?;
                let params = vals![int(account.0), int(plan.0), amount.fen(), fees_waived.fen(), at.ms];
                self.sink.exec(Stmt::PlanPaidOff, &params)?;
                Ok(())
            }
            _ => unreachable!("event_rows sends only payment events here"),
        }
    }

    /// `statements`, bill-installment `plans` and `delinquency`: what the billing cycle does.
    fn cycle_rows(&mut self, at: At, event: &Event) -> Result<(), StoreError> {
        match event {
            Event::BillInstalled {
                account,
                plan,
                statement,
                principal,
                minimum,
            } => {
                let (account, plan) = (int(account.0), int(plan.0));
                let no_txn = None::<i64>;
                let params = vals![
                    account,
                    plan,
                    "statement",
                    no_txn,
                    statement,
                    principal.fen(),
                    at.ms,
                    at.partition,
                    at.seq
                ];
                self.sink.exec(Stmt::PlanCreated, &params)?;
                self.sink.exec(
                    Stmt::StatementInstalled,
                    &vals![account, statement, minimum.fen(), plan],
                )?;
            }
            Event::StatementClosed {
                account,
                seq,
                date,
                due_date,
                balance,
                minimum,
            } => {
                let (date, due) = (day(*date), day(*due_date));
                let (balance, minimum) = (balance.fen(), minimum.fen());
                let params = vals![
                    int(account.0),
                    seq,
                    date,
                    due,
                    balance,
                    minimum,
                    at.ms,
                    at.partition,
                    at.seq
                ];
                self.sink.exec(Stmt::Statement, &params)?;
            }
            Event::BucketChanged {
                account,
                on,
                dpd,
                from,
                to,
            } => {
                let (on, from, to) = (day(*on), from.as_str(), to.as_str());
                let params = vals![at.partition, at.seq, at.idx, int(account.0), on, dpd, from, to, at.ms];
                self.sink.exec(Stmt::Delinquency, &params)?;
            }
            _ => unreachable!("event_rows sends only billing-cycle events here"),
        }
        Ok(())
    }

    fn captured(
        &mut self,
        at: At,
        account: AccountId,
        txn: u64,
        amount: i64,
        released: i64,
        plan: Option<u64>,
    ) -> Result<(), StoreError> {
        let (account, txn) = (int(account.0), int(txn));
        self.sink.exec(
            Stmt::HoldSettled,
            &vals![account, txn, "captured", amount, released, at.ms],
        )?;
        let plan = plan.map(int);
        self.sink.exec(
            Stmt::PurchaseCaptured,
            &vals![account, txn, amount, plan, at.ms, at.partition, at.seq],
        )?;
        if let Some(plan) = plan {
            let params = vals![
                account,
                plan,
                "purchase",
                txn,
                None::<u32>,
                amount,
                at.ms,
                at.partition,
                at.seq
            ];
            self.sink.exec(Stmt::PlanCreated, &params)?;
        }
        Ok(())
    }

    fn released(&mut self, at: At, account: AccountId, txn: u64, state: &str, released: i64) -> Result<(), StoreError> {
        let params = vals![int(account.0), int(txn), state, None::<i64>, released, at.ms];
        self.sink.exec(Stmt::HoldSettled, &params)?;
        Ok(())
    }

    fn refunded(
        &mut self,
        at: At,
        account: AccountId,
        txn: u64,
        op: u64,
        amount: i64,
        split: &RefundSplit,
    ) -> Result<(), StoreError> {
        let (account, txn) = (int(account.0), int(txn));
        let to = &split.account;
        let params = vals![
            at.partition,
            at.seq,
            at.idx,
            account,
            txn,
            int(op),
            amount,
            split.unbilled.fen(),
            split.billed.fen(),
            to.penalty.fen(),
            to.interest.fen(),
            to.fee.fen(),
            to.principal.fen(),
            to.unbilled_principal.fen(),
            to.credit_balance.fen(),
            split.fees_waived.fen(),
            at.ms
        ];
        self.sink.exec(Stmt::Refund, &params)?;
        self.sink.exec(Stmt::PurchaseRefunded, &vals![account, txn, amount])?;
        self.sink.exec(Stmt::PlanRefunded, &vals![account, txn, at.ms])?;
        Ok(())
    }

    fn repayment(
        &mut self,
        at: At,
        account: AccountId,
        payment: &Payment,
        allocation: &Allocation,
    ) -> Result<(), StoreError> {
        let params = vals![
            at.partition,
            at.seq,
            at.idx,
            int(account.0),
            int(payment.op),
            payment.kind,
            payment.plan.map(int),
            payment.amount,
            allocation.penalty.fen(),
            allocation.interest.fen(),
            allocation.fee.fen(),
            allocation.principal.fen(),
            allocation.unbilled_principal.fen(),
            allocation.credit_balance.fen(),
            payment.fees_waived,
            payment.recovery,
            at.ms
        ];
        self.sink.exec(Stmt::Repayment, &params)?;
        Ok(())
    }

    fn posted(&mut self, at: At, account: AccountId, entry: &Entry) -> Result<(), StoreError> {
        let account = int(account.0);
        let params = vals![at.partition, at.seq, at.idx, account, entry_kind(entry.kind), at.ms];
        let id = self.sink.insert_id(Stmt::LedgerEntry, &params)?;
        for (leg, posting) in entry.postings.iter().enumerate() {
            let params = vals![id, leg, account, posting.account.as_str(), posting.amount.fen()];
            self.sink.exec(Stmt::LedgerPosting, &params)?;
        }
        Ok(())
    }
}
