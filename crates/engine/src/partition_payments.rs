//! How a partition resolves and applies merchant payments: an authorization (assigning its
//! transaction, resolving a link, pricing its plan, keeping the merchant's reference) and a
//! merchant's capture, void or refund of its own transaction; and what a merchant reads back
//! ([`MerchantTxn`]).

use credit::{AccountId, Command, Event, MerchantId, PlanChoice, TxnId};
use jiff::Timestamp;
use money::Amount;

use crate::ids::CaseId;
use crate::partition::Partition;
use crate::record::Op;
use crate::reference::Reference;
use crate::rejection::EngineRejection;
use crate::request::{Payer, TxnAction};
use crate::risk::RiskRecord;
use crate::route::make_id;

/// A merchant's transaction as the merchant reads it beside the account: whose it is and the
/// reference the merchant gave when authorizing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerchantTxn {
    pub account: AccountId,
    pub reference: Option<Reference>,
    /// The open review case holding the payment (its authorization was decided `review`).
    pub held_by: Option<CaseId>,
}

impl Partition {
    /// The op of an authorization: the payer's account, a new transaction id, the plan priced
    /// for the customer's tier, and the merchant's reference.
    pub(crate) fn resolve_authorize(
        &mut self,
        payer: Payer,
        merchant: MerchantId,
        amount: Amount,
        plan: Option<PlanChoice>,
        reference: Option<Reference>,
    ) -> Result<Op, EngineRejection> {
        let account = match payer {
            Payer::Account(account) => account,
            Payer::Link(link) => match self.links.get(&link) {
                Some((account, owner)) if *owner == merchant => *account,
                _ => return Err(EngineRejection::LinkNotFound),
            },
        };
        self.txn_counter += 1;
        let txn = TxnId(make_id(self.txn_counter, self.id));
        let profile = self.profile(account);
        let command = Command::Authorize {
            account,
            txn,
            merchant,
            amount,
            plan: plan.map(|p| crate::pricing::priced(p, profile.as_ref())),
        };
        Ok(Op::Authorize { command, reference })
    }

    /// The credit command of a merchant's action on its own transaction.
    pub(crate) fn resolve_txn(
        &self,
        merchant: MerchantId,
        txn: TxnId,
        action: TxnAction,
    ) -> Result<Op, EngineRejection> {
        let Some((account, _)) = self.txns.get(&txn).filter(|(_, owner)| *owner == merchant).copied() else {
            return Err(EngineRejection::TxnNotFound);
        };
        // A payment held for review is not captured until an analyst releases it (a void,
        // the merchant giving up, is always allowed).
        if matches!(action, TxnAction::Capture { .. }) && self.payment_held(txn).is_some() {
            return Err(EngineRejection::HeldForReview);
        }
        Ok(Op::Credit(match action {
            TxnAction::Capture { amount } => Command::Capture { account, txn, amount },
            TxnAction::Void => Command::Void { account, txn },
            TxnAction::Refund { op, amount } => Command::Refund {
                account,
                txn,
                op,
                amount,
            },
        }))
    }

    /// Applies a credit command (of `Op::Credit`, or of `Op::Authorize` with its reference):
    /// the book, the order's watch, the daily advance's expiries, the transaction's owner.
    pub(crate) fn apply_credit(
        &mut self,
        command: &Command,
        reference: Option<&Reference>,
        at: Timestamp,
        risk: Option<&RiskRecord>,
        events: &mut Vec<Event>,
    ) -> Result<(), EngineRejection> {
        if let Command::Authorize { txn, .. } = command {
            self.txn_counter = self.txn_counter.max(txn.0 >> 8);
        }
        self.book.apply(at, command, events)?;
        self.watch(command, risk, at);
        if matches!(command, Command::Advance) {
            self.expire_watches(at);
        }
        if let Command::Authorize {
            account, txn, merchant, ..
        } = command
        {
            self.txns.insert(*txn, (*account, *merchant));
            if let Some(reference) = reference {
                self.references.insert(*txn, reference.clone());
            }
        }
        Ok(())
    }

    /// A merchant's own transaction with its reference (`None` for another merchant's).
    pub fn merchant_txn(&self, merchant: MerchantId, txn: TxnId) -> Option<MerchantTxn> {
        let (account, owner) = self.txns.get(&txn)?;
        (*owner == merchant).then(|| MerchantTxn {
            account: *account,
            reference: self.references.get(&txn).cloned(),
            held_by: self.payment_held(txn),
        })
    }

    /// The account behind a merchant's own link (`None` for another merchant's).
    pub fn link_account(&self, merchant: MerchantId, link: crate::ids::LinkId) -> Option<AccountId> {
        self.links
            .get(&link)
            .filter(|(_, owner)| *owner == merchant)
            .map(|(account, _)| *account)
    }

    /// The open payment-review case holding a transaction, if one does.
    pub fn payment_held(&self, txn: TxnId) -> Option<CaseId> {
        let case = self.watches.get(&txn)?.held_by?;
        let kind = self.cases.get(&case)?.kind;
        (kind == crate::cases::CaseKind::PaymentReview).then_some(case)
    }
}
